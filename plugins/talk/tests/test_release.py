"""Releasing schedule versions: names, what is published, changelog, notifications, stable ids."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from eventyay_talk.models import Schedule, TalkSlot
from eventyay_talk.services.schedule import schedule_release, slot_schedule, slot_unschedule, wip_schedule
from eventyay_talk.services.submissions import submission_state_change

from eventyay.base.models import OutgoingMail, WebHook, WebHookDelivery
from eventyay.testing.plugin import register_temporarily


@pytest.mark.parametrize("name", ["wip", "latest", "WIP", " ", "a/b"])
def test_reserved_or_bad_version_names_are_refused(talk_event, in_scope, name: str) -> None:
    with pytest.raises(ValidationError):
        schedule_release(event=talk_event, version=name)


def test_duplicate_version_names_are_refused(released, talk_event) -> None:
    with pytest.raises(ValidationError, match="already"):
        schedule_release(event=talk_event, version="v1")


def test_release_publishes_confirmed_talks_and_breaks_and_starts_a_new_wip(released, talk_event) -> None:
    kinds = sorted(released.slots.values_list("kind", flat=True))
    assert kinds == ["break"] * 3 + ["talk"] * 6
    wip = wip_schedule(event=talk_event)
    assert wip.pk != released.pk
    assert wip.slots.count() == 10
    assert wip.slots.filter(submission__title="Only accepted").exists()


def test_changelog_lists_new_moved_and_canceled(
    released, talk_event, rooms, django_capture_on_commit_callbacks
) -> None:
    assert len(released.changelog["new"]) == 6
    moved, canceled = released.talk_submissions[0], released.talk_submissions[1]
    wip = wip_schedule(event=talk_event)
    slot = TalkSlot.objects.get(schedule=wip, submission=moved)
    slot_schedule(slot=slot, room=rooms[2], start=dt.datetime(2030, 6, 3, 15, 0, tzinfo=dt.UTC))
    submission_state_change(submission=canceled, new_state="canceled", send_mail=False)
    WebHook.objects.create(
        organizer=talk_event.organizer,
        target_url="https://hooks.example.org/s",
        action_types=["schedule.released"],
    )
    seen = []
    with (
        register_temporarily("talk", schedule_released=lambda schedule: seen.append(schedule.version)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = schedule_release(event=talk_event, version="v2")
    assert [e["code"] for e in second.changelog["moved"]] == [moved.code]
    assert [e["code"] for e in second.changelog["canceled"]] == [canceled.code]
    assert second.changelog["new"] == []
    assert seen == ["v2"]
    assert WebHookDelivery.objects.filter(action_type="schedule.released").count() == 1
    notified = OutgoingMail.objects.filter(subject__contains="New schedule")
    assert sorted(address for mail in notified for address in mail.to) == sorted(
        {s.email for s in moved.speakers.all()}
    )


def test_released_versions_cannot_be_edited(released, rooms) -> None:
    slot = released.slots.filter(kind="talk").first()
    with pytest.raises(ValidationError):
        slot_schedule(slot=slot, room=rooms[0], start=dt.datetime(2030, 6, 1, tzinfo=dt.UTC))
    with pytest.raises(ValidationError):
        slot_unschedule(slot=slot)


def test_guid_and_code_survive_releases(released, talk_event) -> None:
    second = schedule_release(event=talk_event, version="v2", notify_speakers=False)
    first_ids = {(s.submission.code, str(s.submission.guid)) for s in released.slots.filter(kind="talk")}
    second_ids = {(s.submission.code, str(s.submission.guid)) for s in second.slots.filter(kind="talk")}
    assert first_ids == second_ids
    first_breaks = set(released.slots.filter(kind="break").values_list("guid", flat=True))
    assert first_breaks == set(second.slots.filter(kind="break").values_list("guid", flat=True))
    assert Schedule.objects.filter(event=talk_event, version__isnull=True).count() == 1
