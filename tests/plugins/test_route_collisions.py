"""Two plugins mounting the same route would shadow each other; the system check refuses that."""

from __future__ import annotations

from eventyay.base.checks import check_plugins
from eventyay.base.plugins import urls as plugin_urls


def test_installed_plugins_mount_distinct_routes():
    assert plugin_urls.route_collisions() == []
    assert not [message for message in check_plugins() if message.id == "eventyay.E004"]


def test_a_route_mounted_by_two_plugins_is_a_system_check_error(monkeypatch):
    from django.urls import path

    def patterns_of(module):
        return [
            path(plugin_urls.API_EVENT_PREFIX, lambda request: None),
            path("shared/", lambda request: None),
        ]

    monkeypatch.setattr(plugin_urls, "_patterns_of", patterns_of)
    problems = plugin_urls.route_collisions()
    assert problems
    assert "both mount the URL" in problems[0]
    assert any(message.id == "eventyay.E004" for message in check_plugins())
