"""``python -m eventyay demo``: a conference worth looking at, built twice without changes."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django_scopes import scope

from eventyay.base.services.demo import demo_setup

pytestmark = pytest.mark.django_db(transaction=True)


def _counts(event) -> dict[str, object]:
    from eventyay_campaigns.models import Contact
    from eventyay_talk.models import Room, Schedule, SpeakerProfile, Submission, TalkSlot, Track
    from eventyay_tickets.models import Checkin, Order
    from eventyay_video.models import ChatMessage, Poll, Question
    from eventyay_video.models import Room as VideoRoom

    latest = Schedule.objects.filter(event=event, version__isnull=False).order_by("-published").first()
    return {
        "confirmed": Submission.objects.filter(event=event, state="confirmed").count(),
        "rooms": Room.objects.filter(event=event).count(),
        "tracks": sorted(Track.objects.filter(event=event).values_list("color", flat=True)),
        "bios": SpeakerProfile.objects.filter(event=event).exclude(biography="").count(),
        "versions": list(
            Schedule.objects.filter(event=event, version__isnull=False)
            .order_by("published")
            .values_list("version", flat=True)
        ),
        "changelog": latest.changelog if latest else None,
        "published_talks": TalkSlot.objects.filter(schedule=latest, kind="talk").count(),
        "breaks": TalkSlot.objects.filter(schedule=latest, kind="break").count(),
        "days": len({slot.start.date() for slot in TalkSlot.objects.filter(schedule=latest)}),
        "orders": {
            status: Order.objects.filter(event=event, status=status).count()
            for status in ("paid", "pending", "canceled")
        },
        "checkins": Checkin.objects.filter(position__order__event=event).count(),
        "chat": ChatMessage.objects.filter(channel__event=event).count(),
        "polls": Poll.objects.filter(room__event=event).count(),
        "questions": Question.objects.filter(room__event=event).count(),
        "video_rooms": VideoRoom.objects.filter(event=event).count(),
        "contacts": Contact.objects.filter(organizer=event.organizer).count(),
        "contacts_attended": Contact.objects.filter(organizer=event.organizer, events_attended=1).count(),
    }


def test_demo_builds_a_conference_and_a_second_run_changes_nothing(capsys) -> None:
    started = time.monotonic()
    result = demo_setup(admin_password="demo demo demo")
    first_run = time.monotonic() - started
    event = result.event
    with scope(organizer=result.organizer):
        counts = _counts(event)
        settings = event.settings.get("tickets_payment_banktransfer")
    assert 38 <= counts["confirmed"] <= 42 and counts["rooms"] == 4 and len(counts["tracks"]) == 4
    assert counts["bios"] >= 40 and counts["published_talks"] >= 38
    assert counts["days"] == 2 and counts["breaks"] == 2 * 2 * 4
    assert counts["versions"] == ["1.0", "1.1"]
    changelog = counts["changelog"]
    assert len(changelog["moved"]) == 2 and len(changelog["canceled"]) == 1 and len(changelog["new"]) == 1
    assert counts["orders"] == {"paid": 70, "pending": 20, "canceled": 10} and counts["checkins"] == 7
    # The contacts plugin is on for the demo organizer and saw the buyers and speakers arrive.
    assert counts["contacts"] >= 100 and counts["contacts_attended"] >= 70
    assert counts["chat"] >= 8 and counts["polls"] >= 1 and counts["questions"] >= 2
    assert settings["enabled"] and settings["account_holder"] and settings["iban"].startswith("DE89")
    started = time.monotonic()
    call_command("demo")
    second_run = time.monotonic() - started
    with scope(organizer=result.organizer):
        assert _counts(event) == counts
    # Reported in the test output so slow demo data shows up without a timed assertion.
    with capsys.disabled():
        print(f"\ndemo: first run {first_run:.1f} s, second run {second_run:.1f} s")
