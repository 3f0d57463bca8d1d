"""A token of organizer A learns nothing about organizer B: every B URL answers like a missing organizer."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, Team, WebHook
from eventyay.base.plugins.manager import installed_plugins
from eventyay.base.services.plugins import PluginStateError, event_plugins_update

PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def _api_routes() -> list[str]:
    """Every registered route (core and plugin-mounted) under /api/v1/organizers/<organizer>/."""
    routes: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern).lstrip("^").rstrip("$").replace("\\", "")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                routes.append(prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted(
        {
            route
            for route in routes
            if route.startswith("api/v1/organizers/")
            and any((m.group("name") or m.group("rname")) == "organizer" for m in PLACEHOLDER.finditer(route))
        }
    )


def _fill(route: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("name") or match.group("rname")
        return values.get(name, "1")

    return "/" + PLACEHOLDER.sub(replace, route)


@pytest.mark.django_db
def test_every_organizer_b_url_answers_like_a_missing_organizer(api_client, event, other_organizer):
    with scope(organizer=other_organizer):
        other_event = Event.objects.get(slug="otherconf")
        for name in installed_plugins():
            try:
                event_plugins_update(event=other_event, enable=[name], is_admin=True)
            except PluginStateError:
                continue
    with scopes_disabled():
        team = Team.objects.filter(organizer=other_organizer).first()
        hook = WebHook.objects.create(organizer=other_organizer, target_url="https://example.org/hook")
    values = {"event": "otherconf", "team": str(team.pk), "webhook": str(hook.pk), "job": str(uuid.uuid4())}
    routes = _api_routes()
    core_event_routes = ("/events/<slug:event>/", "/events/<slug:event>/clone/")
    assert any("/events/<slug:event>/" in r and not r.endswith(core_event_routes) for r in routes), routes
    for route in routes:
        existing = _fill(route, {**values, "organizer": "other"})
        missing = _fill(route, {**values, "organizer": "no-such-organizer"})
        for method in ("get", "post", "put", "patch", "delete"):
            answer = getattr(api_client, method)(existing, {}, format="json")
            expected = getattr(api_client, method)(missing, {}, format="json")
            assert answer.status_code == expected.status_code == 404, (method, existing, answer.content)
            assert answer.json() == expected.json(), (method, existing)


@pytest.mark.django_db
def test_routes_include_core_and_plugin_resources():
    routes = _api_routes()
    assert any(route.endswith("/webhooks/<int:webhook>/deliveries/") for route in routes)
    assert any(route.endswith("/teams/<int:team>/tokens/") for route in routes)
