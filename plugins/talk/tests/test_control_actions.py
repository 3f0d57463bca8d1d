"""What the talk control pages do: CfP editing, decisions, review, the schedule editor, releases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django_scopes import scope

pytestmark = pytest.mark.django_db

BASE = "/control/event/example/conf/talk/"


def texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_cfp_settings_and_configuration_objects(client_for, user, talk_event, talk_type):
    from eventyay_talk.models import CfP, Track

    client = client_for(user)
    data = {
        "headline_0": "Speak at Conf",
        "text_0": "Tell us",
        "opening": "2030-01-01T10:00",
        "deadline": "2030-03-01T23:59",
    }
    for name in ("title", "abstract", "description", "notes", "duration", "track", "content_locale", "image"):
        data[f"{name}_visibility"] = "optional" if name != "title" else "required"
    for name in ("additional_speaker", "availabilities", "biography", "avatar"):
        data[f"{name}_visibility"] = "do_not_ask"
    data["abstract_max_length"] = "500"
    response = client.post(BASE + "cfp/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with scope(organizer=talk_event.organizer):
        cfp = CfP.objects.get(event=talk_event)
        assert str(cfp.headline) == "Speak at Conf"
        assert cfp.deadline == dt.datetime(2030, 3, 1, 22, 59, tzinfo=dt.UTC)
        assert cfp.field_config("abstract") == {
            "visibility": "optional",
            "min_length": None,
            "max_length": 500,
        }
        assert not cfp.asks("biography")
    data["deadline"] = "2029-01-01T10:00"
    refused = client.post(BASE + "cfp/", data)
    assert refused.status_code == 200 and "before the opening" in refused.content.decode()

    assert (
        client.post(BASE + "cfp/tracks/add/", {"name_0": "Security", "color": "#112233"}).status_code == 302
    )
    with scope(organizer=talk_event.organizer):
        track = Track.objects.get(event=talk_event)
    assert "Security" in client.get(BASE + "cfp/tracks/").content.decode()
    assert client.post(BASE + f"cfp/tracks/{track.pk}/", {"delete": "1"}).status_code == 302
    with scope(organizer=talk_event.organizer):
        assert not Track.objects.filter(event=talk_event).exists()


def test_question_options_and_access_code(client_for, user, talk_event, talk_type):
    from eventyay_talk.models import AccessCode, Question

    client = client_for(user)
    response = client.post(
        BASE + "cfp/questions/add/",
        {
            "question_0": "Level?",
            "variant": "choice",
            "target": "submission",
            "active": "on",
            "new_options": "Beginner\nExpert\n",
        },
    )
    assert response.status_code == 302
    with scope(organizer=talk_event.organizer):
        question = Question.objects.get(event=talk_event)
        assert [str(o.answer) for o in question.options.all()] == ["Beginner", "Expert"]
    response = client.post(
        BASE + "cfp/access-codes/add/",
        {"code": "speaker-vip", "maximum_uses": "3", "submission_types": [talk_type.pk]},
    )
    assert response.status_code == 302
    duplicate = client.post(BASE + "cfp/access-codes/add/", {"code": "speaker-vip", "maximum_uses": "1"})
    assert duplicate.status_code == 200 and "already in use" in duplicate.content.decode()
    with scope(organizer=talk_event.organizer):
        code = AccessCode.objects.get(event=talk_event)
        assert code.maximum_uses == 3 and list(code.submission_types.all()) == [talk_type]


def list_queries(client: Any, params: dict[str, Any] | None = None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The first request after a change reads the event anew (the tenant cache keys on the
    # content version); count a request in the steady state.
    client.get(BASE + "submissions/", params or {})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BASE + "submissions/", params or {})
    assert response.status_code == 200
    return len(queries)


def test_submission_list_filters_with_constant_queries(
    client_for, user, talk_event, make_submission, make_speaker
):
    client = client_for(user)
    make_submission(title="Rust for everyone", state="submitted")
    grace = make_speaker("grace@example.org", "Grace Hopper")
    make_submission(title="Compilers", state="accepted", speaker=grace)
    client.get(BASE + "submissions/")
    few = list_queries(client)
    few_filtered = list_queries(client, {"state": "accepted", "q": "Grace"})
    for index in range(8):
        make_submission(
            title=f"Talk {index}", state="submitted", speaker=make_speaker(f"s{index}@example.org")
        )
    assert list_queries(client) == few
    assert list_queries(client, {"state": "accepted", "q": "Grace"}) == few_filtered
    html = client.get(BASE + "submissions/", {"state": "accepted"}).content.decode()
    assert "Compilers" in html and "Rust for everyone" not in html
    html = client.get(BASE + "submissions/", {"q": "grace"}).content.decode()
    assert "Compilers" in html and "Rust for everyone" not in html
    html = client.get(BASE + "submissions/", {"q": "rust"}).content.decode()
    assert "Rust for everyone" in html and "Compilers" not in html


def test_state_actions_and_refusals(client_for, user, talk_event, make_submission):
    submission = make_submission(title="Decide me", state="submitted")
    client = client_for(user)
    url = BASE + f"submissions/{submission.code}/state/"
    accepted = client.post(url, {"state": "accepted"})
    assert accepted.status_code == 302
    submission.refresh_from_db()
    assert submission.state == "accepted"
    refused = client.post(url, {"state": "withdrawn"})
    refused = client.post(url, {"state": "draft"})
    submission.refresh_from_db()
    assert submission.state == "withdrawn"
    assert any("cannot go from" in text for text in texts(refused))
    assert "Decide me" in client.get(BASE + f"submissions/{submission.code}/").content.decode()


def test_queued_decisions_apply_in_bulk(
    client_for, user, talk_event, make_submission, django_capture_on_commit_callbacks
):
    first = make_submission(title="First", state="submitted")
    second = make_submission(title="Second", state="submitted")
    third = make_submission(title="Third", state="submitted")
    client = client_for(user)
    assert client.post(BASE + f"submissions/{first.code}/queue/", {"state": "accepted"}).status_code == 302
    assert client.post(BASE + f"submissions/{second.code}/queue/", {"state": "rejected"}).status_code == 302
    refused = client.post(BASE + f"submissions/{third.code}/queue/", {"state": "confirmed"})
    assert any("cannot go from" in text for text in texts(refused))
    assert "Apply queued decisions" in client.get(BASE + "submissions/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(BASE + "submissions/decisions/")
    assert applied.status_code == 302
    assert "2 queued decisions applied." in client.get(applied["Location"]).content.decode()
    for submission, state in ((first, "accepted"), (second, "rejected"), (third, "submitted")):
        submission.refresh_from_db()
        assert (submission.state, submission.pending_state) == (state, "")


@pytest.fixture
def review_setup(talk_event: Any) -> Any:
    from eventyay_talk.models import ReviewPhase
    from eventyay_talk.services.reviews import score_category_save

    with scope(organizer=talk_event.organizer):
        phase = ReviewPhase.objects.create(event=talk_event, name="Review", is_active=True)
        category = score_category_save(
            event=talk_event, name={"en": "Quality"}, weight=2, values={1: "bad", 2: "ok", 3: "great"}
        )
    return phase, category


def test_review_dashboard_queries_stay_constant(
    client_for,
    user,
    talk_event,
    talk_type,
    make_submission,
    make_speaker,
    review_setup,
    django_assert_max_num_queries,
):
    from eventyay_talk.models import Submission
    from eventyay_talk.services.reviews import review_save

    client = client_for(user)
    _phase, category = review_setup
    with scope(organizer=talk_event.organizer):
        scores = list(category.scores.all())
    reviewed = make_submission(title="Reviewed talk", state="submitted")
    with scope(organizer=talk_event.organizer):
        review_save(submission=reviewed, user=user, text="fine", scores=[scores[2]])
    client.get(BASE + "review/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as baseline:
        assert client.get(BASE + "review/").status_code == 200
    speaker = make_speaker("many@example.org", "Many Talks")
    with scope(organizer=talk_event.organizer):
        created = Submission.objects.bulk_create(
            Submission(event=talk_event, title=f"Bulk {index}", submission_type=talk_type, state="submitted")
            for index in range(200)
        )
        Submission.speakers.through.objects.bulk_create(
            Submission.speakers.through(submission_id=s.pk, user_id=speaker.pk) for s in created
        )
        for submission in created[:20]:
            review_save(submission=submission, user=user, scores=[scores[0]])
    with django_assert_max_num_queries(len(baseline)):
        response = client.get(BASE + "review/", {"sort": "-count"})
    html = response.content.decode()
    assert html.count("Bulk ") == 200 and "Many Talks" in html
    assert html.index("Reviewed talk") < html.index("Bulk 0") or "6.00" in html
    by_score = client.get(BASE + "review/").content.decode()
    assert "6.00" in by_score and by_score.index("Reviewed talk") < by_score.index("Bulk 150")


def test_review_form_saves_and_blind_review_hides_speakers(
    client_for, user, talk_event, make_submission, make_speaker, review_setup
):
    from eventyay_talk.models import Review

    phase, category = review_setup
    submission = make_submission(
        title="Blind talk", speaker=make_speaker("secret@example.org", "Secret Person")
    )
    client = client_for(user)
    url = BASE + f"review/{submission.code}/"
    assert "Secret Person" in client.get(url).content.decode()
    with scope(organizer=talk_event.organizer):
        phase.can_see_speaker_names = False
        phase.save()
        great = category.scores.get(value=3)
    page = client.get(url).content.decode()
    assert "Secret Person" not in page and "Hidden in this review phase" in page
    assert "Secret Person" not in client.get(BASE + "review/").content.decode()
    missing = client.post(url, {"text": "meh", f"score_{category.pk}": "999999"})
    assert missing.status_code == 200
    saved = client.post(url, {"text": "Great", f"score_{category.pk}": str(great.pk)})
    assert saved.status_code == 302
    with scope(organizer=talk_event.organizer):
        review = Review.objects.get(submission=submission, user=user)
        assert review.score == 6 and review.text == "Great"
        phase.can_review = False
        phase.save()
    closed = client.get(url).content.decode()
    assert "cannot be written in the current review phase" in closed
    assert client.post(url, {"text": "Later"}).status_code == 403


def test_review_settings_forms(client_for, user, talk_event):
    from eventyay_talk.models import ReviewPhase, ScoreCategory

    client = client_for(user)
    response = client.post(
        BASE + "review/phases/add/",
        {"name": "Blind", "proposal_visibility": "all", "can_see_other_reviews": "never", "can_review": "on"},
    )
    assert response.status_code == 302
    with scope(organizer=talk_event.organizer):
        phase = ReviewPhase.objects.get(event=talk_event)
    assert client.post(BASE + f"review/phases/{phase.pk}/activate/").status_code == 302
    response = client.post(
        BASE + "review/categories/add/", {"name_0": "Relevance", "weight": "1.5", "values": "0=no\n1=yes"}
    )
    assert response.status_code == 302
    bad = client.post(BASE + "review/categories/add/", {"name_0": "Bad", "weight": "1", "values": "x=y"})
    assert bad.status_code == 200 and "does not start with a number" in bad.content.decode()
    with scope(organizer=talk_event.organizer):
        phase.refresh_from_db()
        assert phase.is_active
        category = ScoreCategory.objects.get(event=talk_event)
        assert [(s.value, str(s.label)) for s in category.scores.all()] == [(0, "no"), (1, "yes")]
    assert "0=no" in client.get(BASE + f"review/categories/{category.pk}/").content.decode()


def test_rooms_crud(client_for, user, talk_event):
    from eventyay_talk.models import Room

    client = client_for(user)
    assert client.post(BASE + "rooms/add/", {"name_0": "Hall 1", "capacity": "300"}).status_code == 302
    with scope(organizer=talk_event.organizer):
        room = Room.objects.get(event=talk_event)
        assert room.capacity == 300
    assert (
        client.post(BASE + f"rooms/{room.pk}/", {"name_0": "Hall One", "capacity": "250"}).status_code == 302
    )
    assert "Hall One" in client.get(BASE + "rooms/").content.decode()
    assert client.post(BASE + f"rooms/{room.pk}/", {"delete": "1"}).status_code == 302
    with scope(organizer=talk_event.organizer):
        assert not Room.objects.filter(event=talk_event).exists()


@pytest.fixture
def wip_slot(talk_event: Any, rooms: list[Any], make_submission: Any) -> Any:
    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import wip_schedule

    submission = make_submission(title="Movable talk", state="confirmed")
    with scope(organizer=talk_event.organizer):
        return TalkSlot.objects.get(schedule=wip_schedule(event=talk_event), submission=submission)


def test_move_a_slot_with_the_form(client_for, user, talk_event, rooms, wip_slot):
    client = client_for(user)
    editor = client.get(BASE + "schedule/").content.decode()
    assert "Movable talk" in editor and "schedule_editor.js" in editor and "<script>" not in editor
    url = BASE + f"schedule/slots/{wip_slot.pk}/move/"
    response = client.post(url, {"room": rooms[1].pk, "start": "2030-06-02T11:00"})
    assert response.status_code == 302
    wip_slot.refresh_from_db()
    assert wip_slot.room_id == rooms[1].pk
    assert wip_slot.start == dt.datetime(2030, 6, 2, 9, 0, tzinfo=dt.UTC)
    assert wip_slot.end - wip_slot.start == dt.timedelta(minutes=30)
    editor = client.get(BASE + "schedule/").content.decode()
    assert 'value="2030-06-02T11:00"' in editor
    fetched = client.post(
        url, {"room": rooms[2].pk, "start": "2030-06-02T12:00"}, headers={"X-Requested-With": "fetch"}
    )
    assert fetched.status_code == 200 and fetched.json() == {"ok": True, "error": ""}
    bad = client.post(url, {"room": rooms[2].pk, "start": ""}, headers={"X-Requested-With": "fetch"})
    assert bad.status_code == 400 and bad.json()["ok"] is False
    assert client.post(url, {"room": "", "start": ""}).status_code == 302
    wip_slot.refresh_from_db()
    assert wip_slot.room_id is None and wip_slot.start is None


def test_editor_shows_conflicts(client_for, user, talk_event, rooms, make_submission, make_speaker):
    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import slot_schedule, wip_schedule

    speaker = make_speaker("busy@example.org", "Busy Bee")
    first = make_submission(title="One", state="confirmed", speaker=speaker)
    second = make_submission(title="Two", state="confirmed", speaker=speaker)
    start = dt.datetime(2030, 6, 1, 10, 0, tzinfo=dt.UTC)
    with scope(organizer=talk_event.organizer):
        wip = wip_schedule(event=talk_event)
        for submission, room in ((first, rooms[0]), (second, rooms[1])):
            slot_schedule(
                slot=TalkSlot.objects.get(schedule=wip, submission=submission), room=room, start=start
            )
    html = client_for(user).get(BASE + "schedule/").content.decode()
    assert "A speaker has another talk at the same time." in html


def test_release_with_the_form(
    client_for, user, talk_event, rooms, wip_slot, django_capture_on_commit_callbacks
):
    from eventyay_talk.models import Schedule
    from eventyay_talk.services.schedule import slot_schedule

    with scope(organizer=talk_event.organizer):
        slot_schedule(slot=wip_slot, room=rooms[0], start=dt.datetime(2030, 6, 1, 10, 0, tzinfo=dt.UTC))
    client = client_for(user)
    refused = client.post(BASE + "schedule/release/", {"version": "wip"})
    assert refused.status_code == 200 and "is reserved" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        released = client.post(BASE + "schedule/release/", {"version": "v1.0", "comment": "First"})
    assert released.status_code == 302
    assert "Version “v1.0” has been released." in client.get(released["Location"]).content.decode()
    with scope(organizer=talk_event.organizer):
        schedule = Schedule.objects.get(event=talk_event, version="v1.0")
        assert schedule.slots.filter(submission=wip_slot.submission).exists()
    versions = client.get(BASE + "schedule/release/").content.decode()
    assert "v1.0" in versions and "First" in versions
    again = client.post(BASE + "schedule/release/", {"version": "v1.0"})
    assert again.status_code == 200 and "already" in again.content.decode()


def test_breaks_are_added_and_moved_with_their_length(client_for, user, talk_event, rooms):
    from eventyay_talk.models import TalkSlot

    client = client_for(user)
    response = client.post(
        BASE + "schedule/breaks/add/",
        {
            "break-kind": "break",
            "break-description": "Lunch",
            "break-room": rooms[0].pk,
            "break-start": "2030-06-01T12:30",
            "break-end": "2030-06-01T13:30",
        },
    )
    assert response.status_code == 302
    with scope(organizer=talk_event.organizer):
        lunch = TalkSlot.objects.get(schedule__event=talk_event, kind="break")
    assert lunch.start == dt.datetime(2030, 6, 1, 10, 30, tzinfo=dt.UTC)
    assert "Lunch" in client.get(BASE + "schedule/").content.decode()
    moved = client.post(
        BASE + f"schedule/slots/{lunch.pk}/move/", {"room": rooms[1].pk, "start": "2030-06-01T13:00"}
    )
    assert moved.status_code == 302
    lunch.refresh_from_db()
    assert (lunch.room_id, lunch.end - lunch.start) == (rooms[1].pk, dt.timedelta(hours=1))


def test_reviewer_team_member_reviews_only_their_tracks(
    client_for, organizer, talk_event, make_submission, review_setup
):
    from eventyay_talk.models import Track
    from eventyay_talk.services.reviews import reviewer_team_set
    from i18nfield.strings import LazyI18nString

    from eventyay.base.models import User
    from eventyay.base.services.teams import team_member_add, team_save

    with scope(organizer=organizer):
        web = Track.objects.create(event=talk_event, name=LazyI18nString({"en": "Web"}))
        other = Track.objects.create(event=talk_event, name=LazyI18nString({"en": "Other"}))
    mine = make_submission(title="Web talk", track=web)
    theirs = make_submission(title="Other talk", track=other)
    reviewer = User.objects.create_user("reviewer@example.org", "a long enough password")
    with scope(organizer=organizer):
        team = team_save(organizer=organizer, name="Reviewers", permissions=[], all_events=True)
        team_member_add(team=team, user=reviewer)
        reviewer_team_set(team=team, is_reviewer=True, tracks=[web])
    client = client_for(reviewer)
    dashboard = client.get(BASE + "review/")
    assert dashboard.status_code == 200
    assert "Web talk" in dashboard.content.decode() and "Other talk" not in dashboard.content.decode()
    assert client.get(BASE + f"review/{mine.code}/").status_code == 200
    assert client.get(BASE + f"review/{theirs.code}/").status_code == 403
    assert client.get(BASE + "submissions/").status_code == 403
