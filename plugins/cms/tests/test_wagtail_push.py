"""Pushing the schedule, sessions and speakers into a real Wagtail site through the companion."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
import requests
from django_scopes import scope
from eventyay_cms.connectors.base import sign
from eventyay_cms.models import Connection, OutboxEntry, PushMapping, SyncLogEntry
from eventyay_cms.services import push as push_service

from .conftest import HERE

pytestmark = pytest.mark.wagtail

#: EVENTYAY_COMPANION_SECRET of the test site (wagtail_site/settings.py).
COMPANION_SECRET = "companion-secret-of-the-test-site"


@pytest.fixture
def wagtail_push(wagtail_site: Any, make_connection: Any) -> Any:
    return make_connection(
        type="wagtail",
        base_url=wagtail_site.url,
        password=COMPANION_SECRET,
        push=["schedule", "speakers"],
    )


@pytest.fixture
def held_push(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the outbox rows a change writes (no eager task sends them at once)."""
    from eventyay_cms import tasks

    monkeypatch.setattr(tasks.cms_push, "delay", lambda connection_id: None)


def _push(connection: Any) -> dict[str, int]:
    with scope(organizer=connection.event.organizer):
        connection.refresh_from_db()
        return push_service.push_due(connection)


def _outbox(connection: Any) -> list[str]:
    with scope(organizer=connection.event.organizer):
        return sorted(OutboxEntry.objects.filter(connection=connection).values_list("resource", flat=True))


def _mapping(connection: Any, resource: str) -> PushMapping:
    with scope(organizer=connection.event.organizer):
        return PushMapping.objects.get(connection=connection, resource=resource)


def _live(site: Any, slug: str) -> list[dict[str, Any]]:
    """The live pages with ``slug``, read back through Wagtail's public API v2."""
    response = requests.get(
        f"{site.url}/api/v2/pages/",
        params={"type": "site_pages.ConferencePage", "slug": slug, "fields": "body,last_published_at"},
        timeout=30,
    )
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _companion(site: Any, data: dict[str, Any], *, secret: str = COMPANION_SECRET, stamp: int | None = None):
    body = json.dumps(data).encode()
    timestamp = int(time.time()) if stamp is None else stamp
    return requests.post(
        f"{site.url}/eventyay-companion/",
        data=body,
        timeout=30,
        headers={
            "Content-Type": "application/json",
            "X-Eventyay-Timestamp": str(timestamp),
            "X-Eventyay-Signature": sign(secret, timestamp, body),
        },
    )


def test_release_creates_schedule_session_and_speaker_pages_in_wagtail(
    wagtail_site, wagtail_push, released, held_push
):
    result = released()
    queued = _outbox(wagtail_push)

    assert _push(wagtail_push) == {"pushed": len(queued)}

    assert _outbox(wagtail_push) == []
    (schedule,) = _live(wagtail_site, "cmsconf-schedule")
    assert "Engines &lt;of&gt; thought" in schedule["body"] and "Compilers" in schedule["body"]
    for talk in result.talks:
        (page,) = _live(wagtail_site, f"cmsconf-session-{talk.code.lower()}")
        assert page["title"] == talk.title
        assert _mapping(wagtail_push, f"session:{talk.code}").remote_id == f"page:{page['id']}"
    speakers = [resource for resource in queued if resource.startswith("speaker:")]
    assert len(speakers) == 2
    for resource in speakers:
        mapping = _mapping(wagtail_push, resource)
        (page,) = _live(wagtail_site, mapping.slug)
        assert page["title"] in ("Ada", "Grace") and "bio" in page["body"]
        assert mapping.remote_modified is not None


def test_title_change_updates_the_one_session_page(
    wagtail_site, wagtail_push, released, held_push, django_capture_on_commit_callbacks
):
    from eventyay_talk.services.schedule import schedule_release
    from eventyay_talk.services.submissions import submission_update

    result = released()
    _push(wagtail_push)
    talk = result.talks[1]
    slug = f"cmsconf-session-{talk.code.lower()}"
    (before,) = _live(wagtail_site, slug)
    with scope(organizer=wagtail_push.event.organizer):
        submission_update(submission=talk, data={"title": "Compilers, revisited"})
        with django_capture_on_commit_callbacks(execute=True):
            schedule_release(event=wagtail_push.event, version="v2", notify_speakers=False)

    counts = _push(wagtail_push)

    assert counts["pushed"] >= 2  # the session, the schedule (and its speaker's page)
    (after,) = _live(wagtail_site, slug)
    assert after["id"] == before["id"] and after["title"] == "Compilers, revisited"
    assert after["last_published_at"] > before["last_published_at"]
    assert "Compilers, revisited" in _live(wagtail_site, "cmsconf-schedule")[0]["body"]


def test_crash_after_the_remote_create_leaves_no_duplicate_wagtail_page(
    wagtail_site, wagtail_push, released, held_push, monkeypatch
):
    released()
    real_record = push_service._record
    crashed: list[str] = []

    def crash_once(mapping: Any, *args: Any) -> None:
        if not crashed:
            crashed.append(mapping.resource)
            raise SystemExit("worker killed after the remote create")
        real_record(mapping, *args)

    monkeypatch.setattr(push_service, "_record", crash_once)
    with pytest.raises(SystemExit):
        _push(wagtail_push)
    from django.core.cache import cache

    cache.clear()  # the dead worker's lock expires
    (resource,) = crashed
    mapping = _mapping(wagtail_push, resource)
    assert mapping.remote_id == "" and len(_live(wagtail_site, mapping.slug)) == 1

    _push(wagtail_push)

    (page,) = _live(wagtail_site, mapping.slug)
    assert _mapping(wagtail_push, resource).remote_id == f"page:{page['id']}"
    assert _outbox(wagtail_push) == []


@pytest.mark.parametrize(
    ("policy", "publish"),
    [("eventyay_wins", True), ("skip_and_alert", True), ("eventyay_wins", False)],
    ids=["eventyay-wins", "skip-and-alert", "draft-is-an-edit-too"],
)
def test_wagtail_edit_after_our_push_is_a_logged_conflict(
    wagtail_site, wagtail_push, released, held_push, policy, publish
):
    from eventyay_talk.services.submissions import speaker_profile_update

    result = released()
    _push(wagtail_push)
    with scope(organizer=wagtail_push.event.organizer):
        Connection.objects.filter(pk=wagtail_push.pk).update(conflict_policy=policy)
        ada = result.talks[0].speakers.first()
        profile = ada.talk_profiles.get(event=wagtail_push.event)
    mapping = _mapping(wagtail_push, f"speaker:{profile.code}")
    number = int(mapping.remote_id.partition(":")[2])
    wagtail_site.edit(number, body="<p>Edited in Wagtail</p>", publish=publish)
    with scope(organizer=wagtail_push.event.organizer):
        speaker_profile_update(event=wagtail_push.event, user=ada, data={"biography": "New bio"})

    _push(wagtail_push)

    (page,) = _live(wagtail_site, mapping.slug)
    with scope(organizer=wagtail_push.event.organizer):
        conflicts = list(SyncLogEntry.objects.filter(connection=wagtail_push, kind="conflict"))
    assert [c.resource for c in conflicts] == [f"speaker:{profile.code}"]
    if policy == "eventyay_wins":
        assert "New bio" in page["body"] and "replaced" in conflicts[0].message
    else:
        assert page["body"] == "<p>Edited in Wagtail</p>" and "not overwritten" in conflicts[0].message


def test_bad_signatures_are_refused_and_write_nothing(wagtail_site):
    page = {"action": "upsert", "slug": "forged-page", "title": "Forged", "fields": {"body": "<p>x</p>"}}

    assert _companion(wagtail_site, page, secret="wrong secret").status_code == 403
    assert _companion(wagtail_site, page, stamp=int(time.time()) - 301).status_code == 403
    unsigned = requests.post(f"{wagtail_site.url}/eventyay-companion/", data=json.dumps(page), timeout=30)
    assert unsigned.status_code == 403
    assert _live(wagtail_site, "forged-page") == []

    missing_title = _companion(wagtail_site, {**page, "title": ""})
    assert missing_title.status_code == 400 and "title" in missing_title.json()["errors"]
    assert _live(wagtail_site, "forged-page") == []

    body = json.dumps({"action": "find", "slug": "cmsconf-schedule"}).encode()
    stamp = int(time.time())
    headers = {
        "X-Eventyay-Timestamp": str(stamp),
        "X-Eventyay-Signature": sign(COMPANION_SECRET, stamp, body),
    }
    first = requests.post(f"{wagtail_site.url}/eventyay-companion/", data=body, headers=headers, timeout=30)
    replay = requests.post(f"{wagtail_site.url}/eventyay-companion/", data=body, headers=headers, timeout=30)
    assert first.status_code in (200, 404) and replay.status_code == 403


def test_companion_touches_only_its_model_under_its_parent(wagtail_site):
    elsewhere = wagtail_site.create("Not ours", "not-ours-wt", "<p>keep</p>")
    # A page of the site: same model, but the companion only writes under its parent page.
    response = _companion(
        wagtail_site, {"action": "upsert", "id": 1, "slug": "root", "title": "Hijack", "fields": {}}
    )
    assert response.status_code == 404
    deleted = _companion(wagtail_site, {"action": "delete", "id": elsewhere + 10_000})
    assert deleted.status_code == 404
    assert _companion(wagtail_site, {"action": "nonsense"}).json()["errors"] == {
        "action": "One of: ping, find, state, upsert, delete."
    }


def test_session_off_the_schedule_unpublishes_its_page(wagtail_site, wagtail_push, released, held_push):
    result = released()
    _push(wagtail_push)
    talk = result.talks[0]
    slug = f"cmsconf-session-{talk.code.lower()}"
    number = int(_mapping(wagtail_push, f"session:{talk.code}").remote_id.partition(":")[2])
    with scope(organizer=wagtail_push.event.organizer):
        talk.slots.all().update(start=None)  # taken off every schedule version
        push_service.enqueue(wagtail_push, [f"session:{talk.code}"])

    assert _push(wagtail_push) == {"deleted": 1}

    assert _live(wagtail_site, slug) == []
    state = _companion(wagtail_site, {"action": "state", "id": number}).json()
    assert state["live"] is False and state["slug"] == slug


def test_push_needs_the_companion_secret_which_the_api_never_returns(api_client, cms_event, wagtail_site):
    base = "/api/v1/organizers/example/events/cmsconf/cms/connections/"
    data = {"type": "wagtail", "base_url": wagtail_site.url, "pull": ["pages"], "push": ["schedule"]}

    refused = api_client.post(base, data, format="json")
    assert refused.status_code == 400 and "secret" in refused.json()["push"][0]

    created = api_client.post(base, {**data, "password": COMPANION_SECRET}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["has_password"] is True and "password" not in created.json()
    number = created.json()["id"]
    changed = api_client.patch(base + f"{number}/", {"push": ["schedule", "speakers"]}, format="json")
    detail = api_client.get(base + f"{number}/")
    for answer in (created, changed, detail):
        assert COMPANION_SECRET not in answer.content.decode()
    with scope(organizer=cms_event.organizer):
        stored = Connection.objects.get(pk=number)
    assert stored.password.startswith("enc1:") and stored.credentials()[1].reveal() == COMPANION_SECRET
    assert stored.push == ["schedule", "speakers"]


def test_wagtail_test_connection_checks_the_companion(wagtail_push):
    from eventyay_cms.services.registry import adapter_for

    with scope(organizer=wagtail_push.event.organizer):
        text = adapter_for(wagtail_push).test()
    assert "public pages" in text and "site_pages.ConferencePage" in text


def test_the_companion_imports_without_eventyay_and_checks_its_settings():
    """It runs in the organizer's Wagtail project, where eventyay is not installed."""
    program = """
import sys, django
class NoEventyay:
    def find_spec(self, name, path=None, target=None):
        if name == "eventyay" or name.startswith("eventyay."):
            raise ImportError(name)
sys.meta_path.insert(0, NoEventyay())
django.setup()
import eventyay_cms.wagtail_companion.urls
from django.core.management import call_command
call_command("check")
from django.test import override_settings
from eventyay_cms.wagtail_companion.pages import configuration_problems
with override_settings(EVENTYAY_COMPANION_SECRET="", EVENTYAY_COMPANION_FIELDS={"body": "nope"}):
    assert [p.id for p in configuration_problems()] == ["eventyay_companion.E001", "eventyay_companion.E003"]
with override_settings(EVENTYAY_COMPANION_PAGE_MODEL="wagtailcore.Nothing"):
    assert [p.id for p in configuration_problems()] == ["eventyay_companion.E002"]
"""
    env = {"DJANGO_SETTINGS_MODULE": "wagtail_site.settings", "PYTHONPATH": str(HERE), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=HERE, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


def test_round_trip_pulls_editor_pages_but_not_the_pages_eventyay_pushed(
    wagtail_site, make_connection, released, held_push
):
    from eventyay_cms.models import PulledPage
    from eventyay_cms.services.pull import pull

    connection = make_connection(
        type="wagtail",
        base_url=wagtail_site.url,
        password=COMPANION_SECRET,
        pull=["pages"],
        push=["schedule", "speakers"],
    )
    editor_page = wagtail_site.create("Getting there", "getting-there-wt", "<p>By train</p>")
    released()
    _push(connection)
    with scope(organizer=connection.event.organizer):
        pushed = set(connection.mappings.values_list("remote_id", flat=True))

        pull(connection)

        pulled = set(PulledPage.objects.filter(connection=connection).values_list("external_id", flat=True))
    assert f"page:{editor_page}" in pulled
    assert len(pushed) == 5 and not pushed & pulled
