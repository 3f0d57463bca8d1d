"""Per-event hook dispatch, global hooks, temporary registration and the hook system checks."""

from __future__ import annotations

import types

import pytest
from django.core.checks import Error

from eventyay.base.checks import check_plugins
from eventyay.base.permissions import permission_names
from eventyay.base.plugins import collect_records, hookimpl, hooks_for, plugin_manager
from eventyay.base.plugins.manager import EventHooks, register_hooks_module, registry
from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db


def merged(results):
    combined = {}
    for result in results:
        combined.update(result)
    return combined


def test_event_hooks_reach_only_plugins_enabled_for_the_event(event_a, event_b):
    assert merged(hooks_for(event_a).mail_placeholders(event=event_a)) == {"dummy": "dummy value"}
    assert merged(hooks_for(event_b).mail_placeholders(event=event_b)) == {}


def test_implementations_registered_under_another_function_name_are_excluded_too():
    impl = next(
        impl for impl in plugin_manager.hook.mail_placeholders.get_hookimpls() if impl.plugin_name == "dummy"
    )
    assert impl.function.__name__ == "dummy_mail_placeholders"
    assert EventHooks(["dummy"]).mail_placeholders(event=None) == [{"dummy": "dummy value"}]
    assert EventHooks([]).mail_placeholders(event=None) == []


def test_global_hooks_reach_every_installed_plugin():
    assert "event.dummy:read" in permission_names()
    names = {record.name for record in collect_records(plugin_manager.hook.register_webhook_action_types)}
    assert {"dummy.poked", "event.created"} <= names


def test_plugins_can_declare_hooks_for_other_plugins(event_a, event_b, client):
    def greetings(event):
        return [f"Hello from {event.slug}"]

    with register_temporarily("dummy", dummy_greetings=greetings):
        assert hooks_for(event_a).dummy_greetings(event=event_a) == [["Hello from alpha"]]
        assert hooks_for(event_b).dummy_greetings(event=event_b) == []
        assert "Hello from alpha" in client.get("/example/alpha/").content.decode()


def test_register_temporarily_follows_the_named_plugins_state_and_cleans_up(event_a, event_b, client):
    def sections(event, request):
        from eventyay.base.plugins import Section

        return [Section(title="Temporary section", html="temporary")]

    with register_temporarily("dummy", event_public_sections=sections):
        assert "Temporary section" in client.get("/example/alpha/").content.decode()
        assert "Temporary section" not in client.get("/example/beta/").content.decode()
    assert "Temporary section" not in client.get("/example/alpha/").content.decode()

    with register_temporarily("eventyay", event_public_sections=sections):
        assert "Temporary section" in client.get("/example/beta/").content.decode()

    with register_temporarily("not_installed", event_public_sections=sections):
        assert "Temporary section" not in client.get("/example/alpha/").content.decode()


def test_one_failing_notification_does_not_stop_the_others(event_a):
    from eventyay.base.plugins import notify

    received = []

    def failing(event):
        raise RuntimeError("boom")

    def working(event):
        received.append(event.slug)

    with (
        register_temporarily("dummy", event_created=failing),
        register_temporarily("eventyay", event_created=working),
    ):
        notify("event_created", enabled=["dummy"], event=event_a)
    assert received == ["alpha"]


def check_errors():
    return [m for m in check_plugins() if isinstance(m, Error)]


def test_implementation_of_an_unknown_hook_is_a_system_check_error():
    before = check_errors()
    with register_temporarily("dummy", event_public_sectoins=lambda event, request: []):
        errors = [m for m in check_errors() if m not in before]
    assert len(errors) == 1
    assert errors[0].id == "eventyay.E002"
    assert "implements unknown hook 'event_public_sectoins'" in errors[0].msg
    assert check_errors() == before


def test_implementation_with_an_unknown_argument_is_a_system_check_error():
    module = types.ModuleType("eventyay_bad_hooks")

    @hookimpl
    def event_public_sections(event, request, colour):
        return []

    module.event_public_sections = event_public_sections
    before = check_errors()
    errors_before = list(registry.errors)
    try:
        assert register_hooks_module("bad_plugin", module) is False
        assert plugin_manager.get_plugin("bad_plugin") is None
        errors = [m for m in check_errors() if m not in before]
    finally:
        registry.errors[:] = errors_before
    assert len(errors) == 1
    assert errors[0].id == "eventyay.E001"
    assert "bad_plugin" in errors[0].msg
    assert "colour" in errors[0].msg
