"""The dummy plugin's hook implementations."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scope

from eventyay.base.plugins import (
    NavItem,
    Section,
    TeamPermission,
    WebhookActionType,
    hookimpl,
    hooks_for,
)


def record_call(event: Any, hook: str) -> None:
    """Remember that ``hook`` ran for ``event``, so the contract tests can count calls."""
    from eventyay_dummy.models import DummyCall

    with scope(organizer=event.organizer):
        DummyCall.objects.create(event=event, hook=hook)


@hookimpl
def event_public_sections(event: Any, request: Any) -> list[Section]:
    greetings = [greeting for result in hooks_for(event).dummy_greetings(event=event) for greeting in result]
    html = render_to_string("eventyay_dummy/section.html", {"event": event, "greetings": greetings}, request)
    return [Section(title="Dummy", html=html, key="dummy")]


@hookimpl
def control_nav_event(event: Any, request: Any) -> list[NavItem]:
    url = reverse(
        "plugins:dummy:control.index", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )
    return [NavItem(label="Dummy", url=url, active_prefix="plugins:dummy:")]


@hookimpl
def register_team_permissions() -> list[TeamPermission]:
    return [TeamPermission("event.dummy:read", "View the dummy page")]


@hookimpl
def register_webhook_action_types() -> list[WebhookActionType]:
    return [WebhookActionType("dummy.poked", "Dummy poked")]


@hookimpl(specname="mail_placeholders")
def dummy_mail_placeholders(event: Any) -> dict[str, str]:
    # Registered under another function name on purpose: per-event dispatch must still skip it
    # where the plugin is off.
    return {"dummy": "dummy value"}


@hookimpl
def plugin_enabled(event: Any) -> None:
    record_call(event, "plugin_enabled")


@hookimpl
def plugin_disabled(event: Any) -> None:
    record_call(event, "plugin_disabled")


@hookimpl
def demo_data(event: Any) -> None:
    from eventyay_dummy.models import DummyCall

    with scope(organizer=event.organizer):
        DummyCall.objects.get_or_create(event=event, hook="demo_data")
