"""``python -m eventyay plugins`` and ``python -m eventyay apitoken``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer, TeamAPIToken


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def enabled(event):
    event.refresh_plugins()
    with scope(organizer=event.organizer):
        return event.enabled_plugin_names


def test_plugins_lists_loaded_and_left_off_plugins():
    out, _err = run("plugins")
    assert "dummy 1.0.0  Dummy (FEATURE)" in out
    assert "    module: eventyay_dummy\n" in out
    assert "event_public_sections" in out
    assert "dummy_incompatible  left off (incompatible)" in out
    assert "    reason: requires eventyay<0.1" in out
    assert "dummy_broken  left off (broken)" in out
    assert "ModuleNotFoundError" in out


def test_plugins_json_has_name_module_version_category_status_and_hooks():
    out, _err = run("plugins", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    dummy = rows["dummy"]
    assert dummy["module"] == "eventyay_dummy"
    assert dummy["version"] == "1.0.0"
    assert dummy["category"] == "FEATURE"
    assert dummy["status"] == "ok"
    assert dummy["compatible"] is True
    assert "plugin_enabled" in dummy["hooks"]
    assert rows["dummy_extra"]["requires"] == ["dummy"]
    assert rows["dummy_incompatible"]["status"] == "incompatible"
    assert rows["dummy_incompatible"]["compatible"] is False
    assert rows["dummy_broken"]["status"] == "broken"
    assert "eventyay_dummy_missing_dependency" in rows["dummy_broken"]["error"]


@pytest.mark.django_db
def test_plugins_enable_and_disable_switch_a_plugin_for_one_event(event_a, event_b):
    out, _err = run("plugins", "enable", "example/beta", "dummy_extra")
    assert out.strip() == "Enabled for example/beta: dummy, dummy_extra"
    assert enabled(event_b) == {"dummy", "dummy_extra"}
    out, _err = run("plugins", "enable", "example/beta", "dummy")
    assert out.strip() == "Nothing changed: dummy already on for example/beta."
    out, _err = run("plugins", "disable", "example/beta", "dummy_extra", "dummy")
    assert out.strip() == "Disabled for example/beta: dummy, dummy_extra"
    assert enabled(event_b) == frozenset()
    assert enabled(event_a) == {"dummy"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("enable", "example", "dummy"), "Give the event as ORGANIZER/EVENT"),
        (("enable", "example/nope", "dummy"), "There is no event example/nope."),
        (("enable", "example/beta", "dummy_broken"), "There is no plugin named “dummy_broken”."),
        (("disable", "example/beta", "nope"), "There is no plugin named “nope”."),
    ],
)
def test_plugins_enable_and_disable_refuse_bad_input_with_a_clear_message(event_b, args, message):
    with pytest.raises(CommandError, match=message):
        run("plugins", *args)


@pytest.mark.django_db
def test_plugins_disable_refuses_to_disable_a_required_plugin(event_b):
    run("plugins", "enable", "example/beta", "dummy_extra")
    with pytest.raises(CommandError, match="“Dummy” cannot be disabled because “Dummy extra” requires it."):
        run("plugins", "disable", "example/beta", "dummy")
    assert "dummy" in enabled(event_b)


def test_bad_input_exits_non_zero(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTYAY_")}
    env["EVENTYAY_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "eventyay", "plugins", "enable", "no-slash", "dummy"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Give the event as ORGANIZER/EVENT" in result.stderr


@pytest.mark.django_db
def test_apitoken_creates_organizer_and_a_working_all_permission_token(client):
    out, err = run("apitoken", "--organizer", "newcomer", "--create")
    secret = out.strip()
    assert "\n" not in secret
    assert "Created organizer newcomer." in err
    with scopes_disabled():
        organizer = Organizer.objects.get(slug="newcomer")
        token = TeamAPIToken.objects.get(token_hash=TeamAPIToken.hash(secret))
        assert token.team.organizer == organizer
        assert token.team.all_events
    response = client.get("/api/v1/organizers/newcomer/events/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_apitoken_reuses_the_all_permission_team_of_an_existing_organizer(organizer, admin_team):
    out, _err = run("apitoken", "--organizer", "example", "--name", "deploy")
    with scopes_disabled():
        token = TeamAPIToken.objects.get(token_hash=TeamAPIToken.hash(out.strip()))
    assert token.team == admin_team
    assert token.name == "deploy"


@pytest.mark.django_db
def test_apitoken_needs_create_for_an_unknown_organizer():
    with pytest.raises(CommandError, match="There is no organizer 'ghost'; add --create to create it."):
        run("apitoken", "--organizer", "ghost")
    with scopes_disabled():
        assert not Organizer.objects.filter(slug="ghost").exists()


@pytest.mark.django_db
def test_apitoken_reports_an_invalid_slug():
    with pytest.raises(CommandError, match="Use lowercase letters"):
        run("apitoken", "--organizer", "Not Valid", "--create")
