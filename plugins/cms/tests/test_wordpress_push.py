"""Pushing the schedule, sessions and speakers into WordPress (the in-process fake and a real one)
through the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope
from eventyay_cms.models import Connection, OutboxEntry, PushMapping, SyncLogEntry
from eventyay_cms.services import push as push_service


@pytest.fixture
def wordpress(contract_wordpress: Any) -> Any:
    """Each test runs against the in-process fake and against a real WordPress."""
    return contract_wordpress


def _outbox(connection: Any) -> list[str]:
    with scope(organizer=connection.event.organizer):
        return sorted(OutboxEntry.objects.filter(connection=connection).values_list("resource", flat=True))


def _push(connection: Any) -> dict[str, int]:
    with scope(organizer=connection.event.organizer):
        connection.refresh_from_db()
        return push_service.push_due(connection)


@pytest.fixture
def held_push(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the outbox rows a change writes (no eager task sends them at once)."""
    from eventyay_cms import tasks

    monkeypatch.setattr(tasks.cms_push, "delay", lambda connection_id: None)


def test_release_queues_one_row_per_resource_and_push_creates_them(
    wordpress, wp_connection, released, held_push
):
    result = released()
    codes = sorted(talk.code for talk in result.talks)
    queued = _outbox(wp_connection)
    assert "schedule" in queued and {f"session:{code}" for code in codes} <= set(queued)
    assert len([r for r in queued if r.startswith("speaker:")]) == 2

    counts = _push(wp_connection)

    assert counts == {"pushed": len(queued)}
    assert _outbox(wp_connection) == []
    schedule = wordpress.by_slug("pages", "cmsconf-schedule")
    assert len(schedule) == 1 and "Engines &lt;of&gt; thought" in schedule[0]["content"]["rendered"]
    for code in codes:
        (session,) = wordpress.by_slug("pages", f"cmsconf-session-{code.lower()}")
        assert session["status"] == "publish"
    assert all(r["auth"] for r in wordpress.requests if r["method"] == "POST")


def test_changes_coalesce_into_one_row_and_update_the_same_remote_page(
    wordpress, wp_connection, released, held_push
):
    from eventyay_talk.models import SpeakerProfile
    from eventyay_talk.services.submissions import speaker_profile_update

    result = released()
    _push(wp_connection)
    pages_before = len(wordpress.items["pages"])
    ada = result.talks[0].speakers.first()
    with scope(organizer=wp_connection.event.organizer):
        profile = SpeakerProfile.objects.get(event=wp_connection.event, user=ada)
        for bio in ("First edit", "Second edit", "Third edit"):
            speaker_profile_update(event=wp_connection.event, user=ada, data={"biography": bio})
    assert _outbox(wp_connection) == [f"speaker:{profile.code}"]

    assert _push(wp_connection) == {"pushed": 1}

    assert len(wordpress.items["pages"]) == pages_before
    (page,) = wordpress.by_slug("pages", f"cmsconf-speaker-{profile.code.lower()}")
    assert "Third edit" in page["content"]["rendered"]
    # Nothing changed since: the next push of that resource sends nothing.
    with scope(organizer=wp_connection.event.organizer):
        push_service.enqueue(wp_connection, [f"speaker:{profile.code}"])
    writes = len([r for r in wordpress.requests if r["method"] == "POST"])
    assert _push(wp_connection) == {"unchanged": 1}
    assert len([r for r in wordpress.requests if r["method"] == "POST"]) == writes


def test_crash_after_the_remote_create_leaves_no_duplicate(
    wordpress, wp_connection, released, held_push, monkeypatch
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
        _push(wp_connection)
    from django.core.cache import cache

    cache.clear()  # the dead worker's lock expires
    (resource,) = crashed
    with scope(organizer=wp_connection.event.organizer):
        mapping = PushMapping.objects.get(connection=wp_connection, resource=resource)
        assert mapping.remote_id == "" and mapping.slug
    assert len(wordpress.by_slug("pages", mapping.slug)) == 1

    _push(wp_connection)

    assert len(wordpress.by_slug("pages", mapping.slug)) == 1
    with scope(organizer=wp_connection.event.organizer):
        mapping.refresh_from_db()
    assert mapping.remote_id == f"page:{wordpress.by_slug('pages', mapping.slug)[0]['id']}"
    assert _outbox(wp_connection) == []


@pytest.mark.parametrize("policy", ["eventyay_wins", "skip_and_alert"])
def test_remote_edit_after_our_push_is_a_logged_conflict(
    wordpress, wp_connection, released, held_push, policy
):
    from eventyay_talk.services.submissions import speaker_profile_update

    result = released()
    _push(wp_connection)
    with scope(organizer=wp_connection.event.organizer):
        Connection.objects.filter(pk=wp_connection.pk).update(conflict_policy=policy)
    ada = result.talks[0].speakers.first()
    with scope(organizer=wp_connection.event.organizer):
        profile = ada.talk_profiles.get(event=wp_connection.event)
        mapping = PushMapping.objects.get(connection=wp_connection, resource=f"speaker:{profile.code}")
    number = int(mapping.remote_id.partition(":")[2])
    wordpress.edit("pages", number, content="<p>Edited in WordPress</p>")
    with scope(organizer=wp_connection.event.organizer):
        speaker_profile_update(event=wp_connection.event, user=ada, data={"biography": "New bio"})

    _push(wp_connection)

    content = wordpress.items["pages"][number]["content"]["rendered"]
    with scope(organizer=wp_connection.event.organizer):
        conflicts = list(SyncLogEntry.objects.filter(connection=wp_connection, kind="conflict"))
    assert [c.resource for c in conflicts] == [f"speaker:{profile.code}"]
    if policy == "eventyay_wins":
        assert "New bio" in content
    else:
        assert content.strip() == "<p>Edited in WordPress</p>"


def test_failed_push_backs_off_and_keeps_the_row(wordpress, wp_connection, released, held_push):
    released()
    wordpress.app_password = "changed"
    counts = _push(wp_connection)
    assert set(counts) == {"failed"}
    with scope(organizer=wp_connection.event.organizer):
        rows = list(OutboxEntry.objects.filter(connection=wp_connection))
    assert rows and all(row.attempts == 1 and row.due > row.queued for row in rows)
    assert all("application password" in row.last_error for row in rows)
    # Not due yet: a second run sends nothing.
    assert _push(wp_connection) == {}
