"""Fixtures for control panel tests: a member lacking permissions, fake plugins, a clean cache."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django_scopes import scopes_disabled

from eventyay.base.models import User
from eventyay.base.plugins.manager import PluginInfo, clear_caches, registry
from eventyay.base.services.teams import team_member_add, team_save


@pytest.fixture(autouse=True)
def clean_cache() -> None:
    """Login throttling counts live in the cache; start every test with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def weak_user(organizer: Any) -> Any:
    """A member of the organizer who sees every event but holds no permission."""
    member = User.objects.create_user("weak@example.org", "weak but long password")
    with scopes_disabled():
        team = team_save(organizer=organizer, name="Viewers", permissions=[], all_events=True)
        team_member_add(team=team, user=member)
    return member


def fake_plugin(name: str, **fields: Any) -> PluginInfo:
    defaults = {
        "name": name,
        "module": f"eventyay_{name}",
        "app_label": name,
        "verbose_name": name.replace("_", " ").title(),
        "version": "1.2.3",
        "author": "Plugin Author",
        "category": "FEATURE",
        "description": f"What {name} does.",
        "visible": True,
        "restricted": False,
        "compatibility": "",
        "requires": (),
        "level": "event",
        "settings_form": "",
        "distribution": "",
    }
    return dataclasses.replace(PluginInfo(**defaults), **fields)


@pytest.fixture
def fake_plugins(monkeypatch: pytest.MonkeyPatch) -> dict[str, PluginInfo]:
    """Three plugins known to the manager for one test (metadata only, no hooks)."""
    plugins = {
        "fake_feature": fake_plugin("fake_feature", settings_form="fake.SettingsForm"),
        "fake_addon": fake_plugin("fake_addon", category="INTEGRATION", requires=("fake_feature",)),
        "fake_restricted": fake_plugin("fake_restricted", restricted=True),
        "fake_hidden": fake_plugin("fake_hidden", visible=False),
    }
    for name, info in plugins.items():
        monkeypatch.setitem(registry.plugins, name, info)
    clear_caches()
    yield plugins
    clear_caches()
