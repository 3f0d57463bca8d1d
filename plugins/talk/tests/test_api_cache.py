"""The submissions list of the API, kept per content version, query and permissions."""

from __future__ import annotations

from typing import Any

from django_scopes import scope
from rest_framework.test import APIClient

from eventyay.base.models import Team
from eventyay.base.services.teams import team_save, token_create

LIST = "/api/v1/organizers/example/events/conf/submissions/"


def _client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_kept_page_reads_no_proposal_and_follows_every_change(
    api_client, make_submission, make_speaker, organizer, django_assert_max_num_queries
) -> None:
    from eventyay_talk.services.submissions import submission_update

    speaker = make_speaker("kept@example.org", "Kept Speaker")
    submission = make_submission(title="Kept talk", speaker=speaker)
    first = api_client.get(LIST).json()
    with django_assert_max_num_queries(3) as kept:
        assert api_client.get(LIST).json() == first
    assert not any("talk_submission" in q["sql"] for q in kept.captured_queries)
    with scope(organizer=organizer):
        submission_update(submission=submission, data={"title": "Renamed talk"})
    assert api_client.get(LIST).json()["results"][0]["title"] == "Renamed talk"
    # An address changed anywhere (the admin, a form): every save of the account counts.
    speaker.email = "moved@example.org"
    speaker.save(update_fields=["email"])
    assert api_client.get(LIST).json()["results"][0]["speakers"][0]["email"] == "moved@example.org"
    make_submission(title="Second talk")
    assert api_client.get(LIST).json()["count"] == 2


def test_kept_page_is_never_given_to_a_caller_without_the_permission(
    api_client, make_submission, organizer, other_organizer, talk_event, make_event
) -> None:
    make_submission(title="Secret proposal")
    assert api_client.get(LIST).json()["count"] == 1
    with scope(organizer=organizer):
        box = team_save(organizer=organizer, name="Box", permissions=["event.settings:read"], all_events=True)
        readers = team_save(
            organizer=organizer, name="Readers", permissions=["event.submissions:read"], all_events=True
        )
        other_event = make_event(slug="elsewhere", plugins=["talk"])
        elsewhere = team_save(
            organizer=organizer,
            name="Elsewhere",
            permissions=["event.submissions:read"],
            all_events=False,
            limit_events=[other_event],
        )
        _t, box_secret = token_create(team=box, name="box")
        _t, reader_secret = token_create(team=readers, name="reader")
        _t, elsewhere_secret = token_create(team=elsewhere, name="elsewhere")
    with scope(organizer=other_organizer):
        team = Team.objects.get(organizer=other_organizer, name="Administrators")
        _t, outsider_secret = token_create(team=team, name="outsider")
    assert _client(box_secret).get(LIST).status_code == 403
    assert _client(elsewhere_secret).get(LIST).status_code in (403, 404)
    assert _client(outsider_secret).get(LIST).status_code == 404
    assert APIClient().get(LIST).status_code in (401, 403)
    reader = _client(reader_secret).get(LIST)
    assert reader.status_code == 200 and reader.json()["results"][0]["title"] == "Secret proposal"


def test_list_queries_are_the_same_for_5_and_55_proposals(
    api_client, make_submission, django_assert_max_num_queries: Any
) -> None:
    for index in range(5):
        make_submission(title=f"T{index}")
    with django_assert_max_num_queries(20) as few:
        assert api_client.get(LIST + "?page_size=50").json()["count"] == 5
    for index in range(50):
        make_submission(title=f"More {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api_client.get(LIST + "?page_size=50").json()["results"]) == 50
