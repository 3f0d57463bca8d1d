"""A plugin of level ``organizer`` switched on for the organizer is enabled on all its events.

It then receives the event notifications and ``hooks_for(event)`` calls of every event of that
organizer, without being switched on per event; switched off (or never on) it receives none,
and other organizers' events never reach it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from eventyay.base.models import Event, EventPlugin, LogEntry
from eventyay.base.plugins import hooks_for, notify
from eventyay.base.plugins.manager import PluginInfo, registry
from eventyay.base.services.organizer_plugins import organizer_plugin_names, organizer_plugins_update
from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db


def _info(name: str, level: str) -> PluginInfo:
    return PluginInfo(
        name=name,
        module=f"eventyay_{name}",
        app_label=f"eventyay_{name}",
        verbose_name=name.title(),
        version="1.0",
        author="",
        category="FEATURE",
        description="",
        visible=True,
        restricted=False,
        compatibility="",
        requires=(),
        level=level,
        settings_form="",
        distribution="",
    )


@pytest.fixture
def orgwide(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An installed plugin named ``orgwide`` of level organizer that records its calls, and an
    event-level one named ``eventwide``."""
    monkeypatch.setitem(registry.plugins, "orgwide", _info("orgwide", "organizer"))
    monkeypatch.setitem(registry.plugins, "eventwide", _info("eventwide", "event"))
    calls: list[str] = []

    def event_created(event: Event) -> None:
        calls.append(event.slug)

    def event_public_sections(event: Event, request: Any) -> list[str]:
        return [f"orgwide on {event.slug}"]

    with register_temporarily(
        "orgwide", event_created=event_created, event_public_sections=event_public_sections
    ):
        yield calls


def _reload(event: Event) -> Event:
    """The event read again, with its enabled plugins loaded (as the tenant middleware does)."""
    with scope(organizer=event.organizer):
        fresh = Event.objects.select_related("organizer").get(pk=event.pk)
        fresh.enabled_plugin_names  # noqa: B018
        return fresh


def _deliver(event: Event) -> None:
    with scope(organizer=event.organizer):
        notify("event_created", enabled=event.enabled_plugin_names, event=event)


def test_switched_on_for_the_organizer_it_receives_every_events_notifications(
    orgwide: list[str], organizer: Any, other_organizer: Any, make_event: Any
) -> None:
    plain = make_event(slug="plain")
    foreign = make_event(slug="foreign", organizer=other_organizer)
    _deliver(_reload(plain))
    assert orgwide == []

    with scope(organizer=organizer):
        switched = organizer_plugins_update(organizer=organizer, enable=["orgwide"], actor=organizer)
        assert switched == ({"orgwide"}, set())
        assert organizer_plugin_names(organizer) == {"orgwide"}
    plain = _reload(plain)
    assert "orgwide" in plain.enabled_plugin_names and plain.has_plugin("orgwide")
    _deliver(plain)
    _deliver(_reload(foreign))
    assert orgwide == ["plain"]
    with scope(organizer=organizer):
        sections = hooks_for(plain).event_public_sections(event=plain, request=None)
    assert ["orgwide on plain"] in sections


def test_switched_off_it_receives_nothing_and_both_changes_are_logged(
    orgwide: list[str], organizer: Any, make_event: Any
) -> None:
    event = make_event(slug="conf")
    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=["orgwide"])
        assert organizer_plugins_update(organizer=organizer, enable=["orgwide"]) == (set(), set())
        assert organizer_plugins_update(organizer=organizer, disable=["orgwide"]) == (set(), {"orgwide"})
        actions = list(
            LogEntry.objects.filter(organizer=organizer, action_type__startswith="eventyay.organizer.plugin.")
            .order_by("pk")
            .values_list("action_type", "data")
        )
    assert actions == [
        ("eventyay.organizer.plugin.enabled", {"plugin": "orgwide"}),
        ("eventyay.organizer.plugin.disabled", {"plugin": "orgwide"}),
    ]
    _deliver(_reload(event))
    assert orgwide == []


def test_event_level_and_unknown_plugins_cannot_be_switched_on_for_the_organizer(
    orgwide: list[str], organizer: Any
) -> None:
    with scope(organizer=organizer):
        with pytest.raises(ValidationError, match="per event"):
            organizer_plugins_update(organizer=organizer, enable=["eventwide"])
        with pytest.raises(ValidationError, match="no plugin"):
            organizer_plugins_update(organizer=organizer, enable=["nonexistent"])
        assert organizer_plugin_names(organizer) == frozenset()


def test_the_enabled_set_is_still_one_query(
    orgwide: list[str], organizer: Any, make_event: Any, django_assert_num_queries: Any
) -> None:
    event = make_event(slug="conf")
    with scope(organizer=organizer):
        EventPlugin.objects.create(event=event, name="eventwide", enabled=True)
        organizer_plugins_update(organizer=organizer, enable=["orgwide"])
    with scope(organizer=organizer):
        event = Event.objects.select_related("organizer").get(pk=event.pk)
    with scope(organizer=organizer), django_assert_num_queries(1):
        assert event.enabled_plugin_names == {"eventwide", "orgwide"}
        hooks_for(event).event_public_sections(event=event, request=None)
