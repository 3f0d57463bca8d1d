"""Releasing a schedule and applying queued decisions run as jobs with a progress page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Job

pytestmark = pytest.mark.django_db

BASE = "/control/event/example/conf/talk/"
RELEASE = BASE + "schedule/release/"
DECISIONS = BASE + "submissions/decisions/"


@pytest.fixture
def scheduled_talk(talk_event: Any, rooms: list[Any], make_submission: Any) -> Any:
    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import slot_schedule, wip_schedule

    submission = make_submission(title="Scheduled talk", state="confirmed")
    with scope(organizer=talk_event.organizer):
        slot = TalkSlot.objects.get(schedule=wip_schedule(event=talk_event), submission=submission)
        slot_schedule(slot=slot, room=rooms[0], start=dt.datetime(2030, 6, 1, 10, 0, tzinfo=dt.UTC))
    return submission


def test_a_release_runs_as_a_job_and_links_the_versions(
    client_for, user, talk_event, scheduled_talk, django_capture_on_commit_callbacks
):
    from eventyay_talk.models import Schedule

    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RELEASE, {"version": "v1", "comment": "First", "notify_speakers": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/control/event/example/conf/jobs/")
    page = client.get(response["Location"]).content.decode()
    assert "Release a version" in page and "Version “v1” has been released." in page
    assert f'href="{RELEASE}"' in page
    with scope(organizer=talk_event.organizer):
        schedule = Schedule.objects.get(event=talk_event, version="v1")
        assert schedule.comment == "First"
        assert schedule.slots.filter(submission=scheduled_talk).exists()
        assert schedule.exports.exists()


def test_a_queued_release_shows_a_progress_bar_that_refreshes_without_javascript(
    client_for, user, talk_event, scheduled_talk
):
    client = client_for(user)
    response = client.post(RELEASE, {"version": "v1"})
    page = client.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


def test_a_taken_or_reserved_version_name_is_a_form_error_and_queues_nothing(
    client_for, user, talk_event, scheduled_talk, django_capture_on_commit_callbacks
):
    client = client_for(user)
    reserved = client.post(RELEASE, {"version": "wip"})
    assert reserved.status_code == 200 and "is reserved" in reserved.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RELEASE, {"version": "v1"})
    taken = client.post(RELEASE, {"version": "V1"})
    assert taken.status_code == 200 and "already is a version" in taken.content.decode()
    with scopes_disabled():
        assert Job.objects.count() == 1


def test_a_release_whose_name_was_taken_meanwhile_fails_and_writes_nothing(
    client_for, user, talk_event, scheduled_talk, django_capture_on_commit_callbacks
):
    from eventyay_talk.models import Schedule
    from eventyay_talk.services.schedule import schedule_release

    client = client_for(user)
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(RELEASE, {"version": "v1"})
    with scope(organizer=talk_event.organizer):
        schedule_release(event=talk_event, version="v1", notify_speakers=False)
        before = Schedule.objects.filter(event=talk_event).count()
    for callback in callbacks:
        callback()
    page = client.get(first["Location"]).content.decode()
    assert "nothing was changed" in page and "already is a version" in page
    with scope(organizer=talk_event.organizer):
        assert Schedule.objects.filter(event=talk_event).count() == before


def test_queued_decisions_are_applied_by_a_job_that_reports_refusals(
    client_for, user, talk_event, make_submission, django_capture_on_commit_callbacks
):
    from eventyay_talk.models import Submission
    from eventyay_talk.services.submissions import submission_decision_queue

    accept = make_submission(title="Accept me", state="submitted")
    changed = make_submission(title="Changed meanwhile", state="submitted")
    with scope(organizer=talk_event.organizer):
        submission_decision_queue(submission=accept, state="accepted")
        submission_decision_queue(submission=changed, state="rejected")
        # The state moved on after the decision was queued (written directly, so that the
        # queued decision stays): withdrawn cannot become rejected.
        Submission.objects.filter(pk=changed.pk).update(state="withdrawn")
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DECISIONS)
    page = client.get(response["Location"]).content.decode()
    assert "Apply queued decisions" in page
    assert "1 queued decision applied." in page
    assert f"Refused: {changed.code}: A proposal cannot go from" in page
    assert f'href="{BASE}submissions/"' in page
    accept.refresh_from_db()
    changed.refresh_from_db()
    assert (accept.state, accept.pending_state) == ("accepted", "")
    assert changed.state == "withdrawn"


def test_applying_decisions_reports_progress_after_each(talk_event, make_submission, in_scope):
    from eventyay_talk.services.submissions import submission_decision_queue, submission_decisions_apply

    for title in ("One", "Two"):
        submission_decision_queue(
            submission=make_submission(title=title, state="submitted"), state="accepted"
        )
    seen: list[int] = []
    applied, errors = submission_decisions_apply(event=talk_event, progress=seen.append)
    assert len(applied) == 2 and not errors
    assert seen == [50, 99]


def test_another_organizers_member_can_neither_start_nor_see_these_jobs(
    client_for, user, talk_event, scheduled_talk, other_organizer, django_capture_on_commit_callbacks
):
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        release = client.post(RELEASE, {"version": "v1"})
        decisions = client.post(DECISIONS)
    outsider = client_for(other_organizer.member)
    assert outsider.post(RELEASE, {"version": "v2"}).status_code == 404
    assert outsider.post(DECISIONS).status_code == 404
    assert outsider.get(release["Location"]).status_code == 404
    assert outsider.get(decisions["Location"]).status_code == 404
    with scopes_disabled():
        assert Job.objects.count() == 2
