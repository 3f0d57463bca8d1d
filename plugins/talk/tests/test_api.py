"""The talk API: the whole CfP-to-schedule flow, permissions and tenancy."""

from __future__ import annotations

import pytest
from django.test import Client
from django_scopes import scope
from rest_framework.test import APIClient

from eventyay.base.models import Team
from eventyay.base.services.teams import team_save, token_create

from .conftest import url

BASE = "/api/v1/organizers/example/events/conf/"


def test_whole_flow_through_the_api(api_client, talk_event) -> None:
    response = api_client.post(
        BASE + "submission-types/", {"name": {"en": "Talk"}, "default_duration": 40}, format="json"
    )
    assert response.status_code == 201, response.content
    type_id = response.json()["id"]
    room = api_client.post(
        BASE + "rooms/", {"name": {"en": "Hörsaal 1"}, "capacity": 80}, format="json"
    ).json()
    track = api_client.post(BASE + "tracks/", {"name": "Web", "color": "#112233"}, format="json")
    assert track.status_code == 201

    response = api_client.post(
        BASE + "submissions/",
        {
            "title": "APIs für Menschen",
            "abstract": "Short",
            "submission_type": type_id,
            "speaker_emails": ["api-speaker@example.org", "second@example.org"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    submission = response.json()
    code = submission["code"]
    assert submission["state"] == "submitted"
    assert [s["email"] for s in submission["speakers"]] == ["api-speaker@example.org", "second@example.org"]

    assert (
        api_client.post(BASE + f"submissions/{code}/accept/", {"send_mail": False}, format="json").json()[
            "state"
        ]
        == "accepted"
    )
    assert (
        api_client.post(BASE + f"submissions/{code}/confirm/", format="json").json()["state"] == "confirmed"
    )

    slots = api_client.get(BASE + "slots/").json()["results"]
    (slot,) = [s for s in slots if s["submission"] == code]
    moved = api_client.patch(
        BASE + f"slots/{slot['id']}/",
        {"room": room["id"], "start": "2030-06-01T10:00:00+02:00"},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["end"].startswith("2030-06-01T08:40:00")
    brk = api_client.post(
        BASE + "slots/",
        {
            "room": room["id"],
            "start": "2030-06-01T12:00:00Z",
            "end": "2030-06-01T13:00:00Z",
            "description": "Lunch",
        },
        format="json",
    )
    assert brk.status_code == 201, brk.content

    assert api_client.post(BASE + "schedules/release/", {"version": "wip"}, format="json").status_code == 400
    released = api_client.post(BASE + "schedules/release/", {"version": "2030.1"}, format="json")
    assert released.status_code == 201, released.content
    assert released.json()["changelog"]["new"][0]["code"] == code
    assert api_client.get(BASE + "schedules/latest/").json()["version"] == "2030.1"
    assert api_client.get(BASE + "schedules/wip/").json()["version"] == "wip"
    assert api_client.get(BASE + "schedules/2030.1/").status_code == 200
    assert api_client.get(BASE + "slots/?schedule=2030.1").json()["count"] == 2

    xml = Client().get(url(talk_event, "export.latest", identifier="xml"))
    assert "APIs für Menschen" in xml.content.decode()
    speakers = api_client.get(BASE + "speakers/").json()["results"]
    assert {s["email"] for s in speakers} == {"api-speaker@example.org", "second@example.org"}


def test_state_actions_refuse_impossible_transitions(api_client, make_submission) -> None:
    submission = make_submission(state="draft")
    response = api_client.post(BASE + f"submissions/{submission.code}/accept/", format="json")
    assert response.status_code == 400
    assert "cannot go from" in response.json()["state"][0]


@pytest.mark.parametrize("action", ["accept", "reject", "withdraw"])
def test_each_state_action_of_a_submitted_proposal(api_client, make_submission, action: str) -> None:
    submission = make_submission()
    response = api_client.post(
        BASE + f"submissions/{submission.code}/{action}/", {"send_mail": False}, format="json"
    )
    assert response.status_code == 200
    assert (
        response.json()["state"]
        == {"accept": "accepted", "reject": "rejected", "withdraw": "withdrawn"}[action]
    )


def test_cancel_action(api_client, make_submission) -> None:
    submission = make_submission(state="confirmed")
    assert (
        api_client.post(BASE + f"submissions/{submission.code}/cancel/", format="json").json()["state"]
        == "canceled"
    )


def test_missing_fields_answer_400_naming_them(api_client, talk_type) -> None:
    response = api_client.post(
        BASE + "submissions/",
        {"title": "", "submission_type": talk_type.pk, "speaker_emails": ["a@example.org"]},
        format="json",
    )
    assert response.status_code == 400 and "title" in response.json()
    response = api_client.post(
        BASE + "submissions/", {"title": "x", "submission_type": talk_type.pk}, format="json"
    )
    assert response.status_code == 400 and "speaker_emails" in response.json()


def test_another_organizers_token_gets_404(other_organizer, talk_event, make_submission) -> None:
    submission = make_submission()
    with scope(organizer=other_organizer):
        team = Team.objects.get(organizer=other_organizer, name="Administrators")
        _token, secret = token_create(team=team, name="outsider")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    for endpoint in (
        "submissions/",
        f"submissions/{submission.code}/",
        "rooms/",
        "schedules/wip/",
        "speakers/",
    ):
        assert client.get(BASE + endpoint).status_code == 404, endpoint
    assert client.post(BASE + f"submissions/{submission.code}/accept/").status_code == 404


def test_team_without_talk_permissions_gets_403(organizer, talk_event, in_scope) -> None:
    team = team_save(
        organizer=organizer, name="Box office", permissions=["event.settings:read"], all_events=True
    )
    _token, secret = token_create(team=team, name="box")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(BASE + "submissions/").status_code == 403


def test_reader_cannot_decide(organizer, talk_event, make_submission) -> None:
    submission = make_submission()
    team = team_save(
        organizer=organizer, name="Readers", permissions=["event.submissions:read"], all_events=True
    )
    _token, secret = token_create(team=team, name="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(BASE + "submissions/").status_code == 200
    assert client.post(BASE + f"submissions/{submission.code}/accept/").status_code == 403


def test_submission_list_queries_are_constant(
    api_client, make_submission, django_assert_max_num_queries
) -> None:
    for index in range(3):
        make_submission(title=f"T{index}")
    with django_assert_max_num_queries(12) as few:
        api_client.get(BASE + "submissions/")
    for index in range(10):
        make_submission(title=f"More {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api_client.get(BASE + "submissions/").json()["count"] == 13


def test_reviews_are_written_by_people(client_for, user, talk_event, make_submission, in_scope) -> None:
    from eventyay_talk.services.reviews import score_category_save

    category = score_category_save(event=talk_event, name="Fit", values={0: "no", 2: "yes"})
    submission = make_submission()
    client = APIClient()
    client.force_login(user)
    score = category.scores.get(value=2)
    response = client.post(
        BASE + "reviews/",
        {"submission": submission.code, "text": "Good", "scores": [score.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["score"] == "2.00"
    assert client.get(BASE + "reviews/").json()["count"] == 1
