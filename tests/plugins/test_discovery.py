"""Plugins are found through the ``eventyay.plugin`` entry points; bad ones are reported and left off."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings
from django.core.checks import Warning as CheckWarning

from eventyay.base.checks import check_plugins
from eventyay.base.plugins.discovery import discover_plugins
from eventyay.base.plugins.manager import broken_plugins, installed_plugins


def test_dummy_plugin_is_discovered_through_its_entry_point():
    discovered = {plugin.name: plugin for plugin in settings.PLUGIN_DISCOVERY.plugins}
    assert discovered["dummy"].module == "eventyay_dummy"
    assert discovered["dummy"].distribution == "eventyay-dummy"
    assert discovered["dummy"].app_config == "eventyay_dummy.apps.DummyApp"
    assert "eventyay_dummy.apps.DummyApp" in settings.INSTALLED_APPS
    assert apps.is_installed("eventyay_dummy")


def test_metadata_comes_from_the_inner_meta_class_and_the_distribution():
    info = installed_plugins()["dummy"]
    assert info.verbose_name == "Dummy"
    assert info.category == "FEATURE"
    assert info.description == "Exercises every part of the plugin contract"
    assert info.version == "1.0.0"
    assert info.visible is False
    assert info.restricted is False
    assert info.level == "event"
    extra = installed_plugins()["dummy_extra"]
    assert extra.requires == ("dummy",)
    assert extra.restricted is True


def test_hooks_a_plugin_implements_are_listed():
    hooks = installed_plugins()["dummy"].hooks
    for name in (
        "event_public_sections",
        "control_nav_event",
        "register_team_permissions",
        "register_webhook_action_types",
        "plugin_enabled",
        "plugin_disabled",
        "demo_data",
        "mail_placeholders",
    ):
        assert name in hooks


@pytest.mark.django_db
def test_plugin_models_are_migrated(event_a):
    from django_scopes import scope
    from eventyay_dummy.models import DummyCall

    with scope(organizer=event_a.organizer):
        DummyCall.objects.create(event=event_a, hook="test")
        assert DummyCall.objects.filter(event=event_a).count() == 1


def test_incompatible_and_broken_plugins_are_reported_and_left_off():
    broken = {plugin.name: plugin for plugin in broken_plugins()}
    assert broken["dummy_incompatible"].status == "incompatible"
    assert "eventyay<0.1" in broken["dummy_incompatible"].error
    assert broken["dummy_broken"].status == "broken"
    assert "eventyay_dummy_missing_dependency" in broken["dummy_broken"].error
    for name in ("dummy_incompatible", "dummy_broken"):
        assert name not in installed_plugins()
    assert not apps.is_installed("eventyay_dummy_incompatible")
    assert not apps.is_installed("eventyay_dummy_broken")


def test_left_off_plugins_are_system_check_warnings():
    warnings = [m for m in check_plugins() if isinstance(m, CheckWarning) and m.id == "eventyay.W001"]
    text = "\n".join(m.msg for m in warnings)
    assert "Plugin dummy_incompatible is left off: requires eventyay<0.1" in text
    assert "Plugin dummy_broken is left off: ModuleNotFoundError" in text


def test_exclude_leaves_plugins_out():
    discovery = discover_plugins(exclude=["dummy", "dummy_broken"])
    names = {plugin.name for plugin in discovery.plugins}
    assert "dummy" not in names
    assert "dummy_extra" in names
    assert "dummy_broken" not in {plugin.name for plugin in discovery.broken}


def test_start_up_logs_left_off_plugins_and_the_command_line_still_works(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("EVENTYAY_DB_URL", "EVENTYAY_REDIS_URL", "EVENTYAY_PLUGINS_EXCLUDE")
    }
    env["EVENTYAY_DATA_DIR"] = str(tmp_path)
    env["EVENTYAY_TEST_PLUGINS"] = "1"  # a command of its own: no pytest that would find them
    result = subprocess.run(
        [sys.executable, "-m", "eventyay", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    log_lines = result.stderr.splitlines()
    assert any(line.startswith("Plugin dummy_broken is left off: ModuleNotFoundError") for line in log_lines)
    assert any(line.startswith("Plugin dummy_incompatible is left off: requires") for line in log_lines)
    assert "dummy" in result.stdout


@pytest.mark.django_db
def test_api_lists_loaded_and_left_off_plugins(api_client):
    response = api_client.get("/api/v1/plugins/", {"page_size": 100})
    assert response.status_code == 200
    body = response.json()
    rows = {row["name"]: row for row in body.get("results", body)}
    assert rows["dummy"]["module"] == "eventyay_dummy"
    assert rows["dummy"]["compatible"] is True
    assert "event_public_sections" in rows["dummy"]["hooks"]
    assert rows["dummy_incompatible"]["compatible"] is False
    assert "eventyay<0.1" in rows["dummy_incompatible"]["error"]
    assert rows["dummy_broken"]["compatible"] is False
    assert "eventyay_dummy_missing_dependency" in rows["dummy_broken"]["error"]


@pytest.mark.django_db
def test_control_plugin_page_reports_left_off_plugins_to_administrators_and_hides_hidden_ones(
    client_for, user, event_b
):
    from eventyay.base.models import User

    admin = User.objects.create_superuser("root@example.org", "correct horse battery")
    admin_page = client_for(admin).get("/control/event/example/beta/plugins/").content.decode()
    assert "dummy_incompatible" in admin_page
    assert "requires eventyay&lt;0.1" in admin_page
    assert "dummy_broken" in admin_page
    member_page = client_for(user).get("/control/event/example/beta/plugins/").content.decode()
    assert "dummy_broken" not in member_page
    for page in (admin_page, member_page):
        assert "Exercises every part of the plugin contract" not in page
