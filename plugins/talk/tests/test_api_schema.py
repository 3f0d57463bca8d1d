"""The talk API answers what its OpenAPI document promises, and malformed input is a 400."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from eventyay.testing.openapi import assert_answer_documented

from .conftest import TZ

BASE = "/api/v1/organizers/example/events/conf/"
PATHS = "/api/v1/organizers/{organizer}/events/{event}/"


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    return client.get("/api/v1/schema/?format=json").json()


@pytest.mark.parametrize("availabilities", [5, True, "2030-06-01", {"start": "x"}, [1], [["a", "b"]]])
def test_room_availabilities_that_are_no_list_of_windows_are_a_400_naming_the_field(
    api_client, talk_event, availabilities
):
    response = api_client.post(
        BASE + "rooms/", {"name": "Saal", "availabilities": availabilities}, format="json"
    )
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"availabilities"}


def test_room_availabilities_are_documented_windows(api_client, talk_event, document):
    window = {"start": "2030-06-01T09:00:00+02:00", "end": "2030-06-01T18:00:00+02:00"}
    response = api_client.post(BASE + "rooms/", {"name": "Saal", "availabilities": [window]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["availabilities"] == [window]
    assert_answer_documented(document, response, path=PATHS + "rooms/", method="post")


@pytest.mark.parametrize("value", [5, "windows", {"start": "2030-06-01T09:00:00+02:00"}])
def test_the_availabilities_service_refuses_anything_but_a_list(value):
    from eventyay_talk.services.schedule import availabilities_clean

    with pytest.raises(ValidationError) as refused:
        availabilities_clean(value)
    assert set(refused.value.message_dict) == {"availabilities"}


def test_answers_of_a_speaker_and_of_a_submission_match_the_schema(
    api_client, talk_event, make_submission, make_speaker, in_scope, document
):
    from eventyay_talk.models import Answer, Question

    submission = make_submission()
    about_talk = Question.objects.create(event=talk_event, question={"en": "Level"}, target="submission")
    about_speaker = Question.objects.create(event=talk_event, question={"en": "Shirt size"}, target="speaker")
    Answer.objects.create(question=about_talk, submission=submission, answer="beginner")
    Answer.objects.create(question=about_speaker, person=make_speaker(), answer="M")

    listed = api_client.get(BASE + "answers/")
    assert {(row["submission"], row["person"]) for row in listed.json()["results"]} == {
        (submission.code, None),
        (None, "speaker@example.org"),
    }
    assert_answer_documented(document, listed, path=PATHS + "answers/", method="get")
    for row in listed.json()["results"]:
        detail = api_client.get(BASE + f"answers/{row['id']}/")
        assert_answer_documented(document, detail, path=PATHS + "answers/{id}/", method="get")


def test_submissions_without_a_pending_state_and_their_transitions_match_the_schema(
    api_client, make_submission, in_scope, document
):
    submission = make_submission()
    assert submission.pending_state == ""
    detail = f"submissions/{submission.code}/"
    listed = api_client.get(BASE + "submissions/")
    assert [row["pending_state"] for row in listed.json()["results"]] == [""]
    assert_answer_documented(document, listed, path=PATHS + "submissions/", method="get")
    answers = [
        (api_client.get(BASE + detail), "submissions/{code}/", "get"),
        (api_client.patch(BASE + detail, {}, format="json"), "submissions/{code}/", "patch"),
    ] + [
        (
            api_client.post(BASE + f"{detail}{action}/", {}, format="json"),
            f"submissions/{{code}}/{action}/",
            "post",
        )
        for action in ("accept", "confirm", "cancel")
    ]
    for response, path, method in answers:
        assert response.status_code == 200, response.content
        assert response.json()["pending_state"] == ""
        assert_answer_documented(document, response, path=PATHS + path, method=method)


def test_slots_of_breaks_have_no_submission_and_match_the_schema(api_client, talk_event, rooms, document):
    from eventyay_talk.services.schedule import break_create

    break_create(
        event=talk_event,
        room=rooms[0],
        start=dt.datetime(2030, 6, 1, 12, 30, tzinfo=TZ),
        end=dt.datetime(2030, 6, 1, 13, 30, tzinfo=TZ),
        description={"en": "Lunch"},
    )
    response = api_client.get(BASE + "slots/")
    assert [row["submission"] for row in response.json()["results"]] == [None]
    assert_answer_documented(document, response, path=PATHS + "slots/", method="get")


def test_a_review_body_without_content_type_is_a_documented_415(api_client, make_submission, document):
    response = api_client.generic("POST", BASE + "reviews/", b"\xc2\x83", content_type="")
    assert response.status_code == 415
    assert_answer_documented(document, response, path=PATHS + "reviews/", method="post")
