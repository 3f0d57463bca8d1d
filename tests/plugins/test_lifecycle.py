"""Switching plugins on and off through ``services.plugins``: lifecycle hooks, requires, restricted."""

from __future__ import annotations

import pytest
from django_scopes import scope
from eventyay_dummy.models import DummyCall

from eventyay.base.models import EventPlugin
from eventyay.base.services.plugins import PluginStateError, event_plugins_update

pytestmark = pytest.mark.django_db


def calls(event, hook):
    with scope(organizer=event.organizer):
        return DummyCall.objects.filter(event=event, hook=hook).count()


def enabled(event):
    with scope(organizer=event.organizer):
        return event.enabled_plugin_names


def update(event, **kwargs):
    with scope(organizer=event.organizer):
        return event_plugins_update(event=event, **kwargs)


def test_enabling_and_disabling_call_the_lifecycle_hooks_once_each(
    event_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert update(event_b, enable=["dummy"]) == ({"dummy"}, set())
    assert calls(event_b, "plugin_enabled") == 1
    assert calls(event_b, "plugin_disabled") == 0
    with django_capture_on_commit_callbacks(execute=True):
        update(event_b, enable=["dummy"])
    assert calls(event_b, "plugin_enabled") == 1, "enabling a plugin that is on already is no change"
    with django_capture_on_commit_callbacks(execute=True):
        assert update(event_b, disable=["dummy"]) == (set(), {"dummy"})
    assert calls(event_b, "plugin_enabled") == 1
    assert calls(event_b, "plugin_disabled") == 1
    assert "dummy" not in enabled(event_b)


def test_lifecycle_hooks_run_only_after_commit(event_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        update(event_b, enable=["dummy"])
    assert calls(event_b, "plugin_enabled") == 0, "no hook may run before the transaction commits"
    # Other installed plugins may queue their own callbacks (cache stamps and the like); what
    # matters is that committing runs the lifecycle hook exactly once.
    for callback in callbacks:
        callback()
    assert calls(event_b, "plugin_enabled") == 1


def test_lifecycle_hook_reaches_only_the_plugin_being_switched(event_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        update(event_a, enable=["dummy_extra"], is_admin=True)
    assert calls(event_a, "plugin_enabled") == 0, "dummy was already on; only dummy_extra was switched"


def test_state_is_stored_per_event(event_a, event_b):
    with scope(organizer=event_a.organizer):
        assert set(EventPlugin.objects.filter(enabled=True).values_list("event__slug", "name")) == {
            ("alpha", "dummy")
        }
    assert "dummy" in enabled(event_a)
    assert "dummy" not in enabled(event_b)


def test_enabling_pulls_in_required_plugins(event_b):
    switched_on, _off = update(event_b, enable=["dummy_extra"], is_admin=True)
    assert switched_on == {"dummy", "dummy_extra"}
    assert enabled(event_b) == {"dummy", "dummy_extra"}


def test_disabling_a_required_plugin_is_refused_with_a_message_naming_both(event_b):
    update(event_b, enable=["dummy_extra"], is_admin=True)
    with pytest.raises(PluginStateError) as excinfo:
        update(event_b, disable=["dummy"], is_admin=True)
    assert excinfo.value.messages == ["“Dummy” cannot be disabled because “Dummy extra” requires it."]
    assert "dummy" in enabled(event_b)
    update(event_b, disable=["dummy_extra", "dummy"])
    assert enabled(event_b) == frozenset()


def test_restricted_plugin_can_only_be_enabled_by_an_administrator(event_b):
    with pytest.raises(PluginStateError) as excinfo:
        update(event_b, enable=["dummy_extra"])
    assert "can only be enabled by an administrator" in excinfo.value.messages[0]
    assert "dummy_extra" not in enabled(event_b)
    update(event_b, enable=["dummy_extra"], is_admin=True)
    assert "dummy_extra" in enabled(event_b)


@pytest.mark.parametrize("name", ["dummy_broken", "dummy_incompatible", "no_such_plugin"])
def test_plugins_that_are_not_loaded_cannot_be_enabled(event_b, name):
    with pytest.raises(PluginStateError) as excinfo:
        update(event_b, enable=[name])
    assert excinfo.value.messages == [f"There is no plugin named “{name}”."]


def test_demo_data_hook_is_idempotent(event_a):
    from eventyay.base.plugins import hooks_for

    with scope(organizer=event_a.organizer):
        hooks_for(event_a).demo_data(event=event_a)
        hooks_for(event_a).demo_data(event=event_a)
    assert calls(event_a, "demo_data") == 1


def test_creating_an_event_with_plugins_calls_plugin_enabled_on_each(
    make_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = make_event(slug="gamma", plugins=["dummy_extra"])
    # dummy_extra pulls in dummy; only dummy implements the hook, and it hears it exactly once.
    assert calls(event, "plugin_enabled") == 1
