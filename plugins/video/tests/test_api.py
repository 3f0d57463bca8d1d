"""``/api/v1/organizers/<org>/events/<event>/video/tokens/`` and ``.../video/rooms/``."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled
from eventyay_video.models import Room
from eventyay_video.tokens import token_decode
from rest_framework.test import APIClient

from eventyay.base.services.teams import team_save, token_create

pytestmark = pytest.mark.django_db


def url(event, tail: str) -> str:
    return f"/api/v1/organizers/{event.organizer.slug}/events/{event.slug}/video/{tail}"


def client_with_permissions(organizer, permissions: list[str]) -> APIClient:
    with scopes_disabled():
        team = team_save(organizer=organizer, name="Limited", permissions=permissions, all_events=True)
        _token, secret = token_create(team=team, name="limited")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_token_endpoint_issues_a_token_and_join_url(api_client, video_event):
    response = api_client.post(
        url(video_event, "tokens/"),
        {"uid": "kiosk-1", "traits": ["attendee", "product:3"], "display_name": "Kiosk", "expires_in": 600},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    user = token_decode(event=video_event, token=body["token"])
    assert (user.uid, user.name, user.traits) == ("kiosk-1", "Kiosk", frozenset({"attendee", "product:3"}))
    assert body["url"].endswith(
        f"/{video_event.organizer.slug}/{video_event.slug}/video/?token={body['token']}"
    )


def test_token_endpoint_names_bad_fields(api_client, video_event):
    response = api_client.post(
        url(video_event, "tokens/"), {"traits": "x", "expires_in": 10**9}, format="json"
    )
    assert response.status_code == 400
    assert {"uid", "traits", "expires_in"} <= set(response.json())


def test_token_endpoint_needs_the_video_write_permission(organizer, video_event):
    reader = client_with_permissions(organizer, ["event.video:read"])
    assert reader.post(url(video_event, "tokens/"), {"uid": "x"}, format="json").status_code == 403
    writer = client_with_permissions(organizer, ["event.video:write"])
    assert writer.post(url(video_event, "tokens/"), {"uid": "x"}, format="json").status_code == 201


def test_other_organizers_token_gets_404(other_organizer, video_event):
    with scopes_disabled():
        team = other_organizer.teams.get(name="Administrators")
        _token, secret = token_create(team=team, name="other")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.post(url(video_event, "tokens/"), {"uid": "x"}, format="json").status_code == 404
    assert client.get(url(video_event, "rooms/")).status_code == 404


def test_api_answers_404_where_the_plugin_is_off(api_client, event):
    assert api_client.post(url(event, "tokens/"), {"uid": "x"}, format="json").status_code == 404


def test_rooms_crud(api_client, video_event):
    created = api_client.post(
        url(video_event, "rooms/"), {"name": "Hall", "traits": ["product:1"], "order": 2}, format="json"
    )
    assert created.status_code == 201, created.content
    room_id = created.json()["id"]
    assert created.json()["channel"] is not None
    changed = api_client.patch(url(video_event, f"rooms/{room_id}/"), {"description": "Big"}, format="json")
    assert changed.status_code == 200 and changed.json()["description"] == "Big"
    assert changed.json()["traits"] == ["product:1"]
    assert api_client.post(url(video_event, "rooms/"), {"name": ""}, format="json").status_code == 400
    assert api_client.delete(url(video_event, f"rooms/{room_id}/")).status_code == 204
    with scope(organizer=video_event.organizer):
        assert not Room.objects.filter(pk=room_id).exists()


def test_room_list_has_a_constant_query_count(
    api_client, video_event, make_room, django_assert_max_num_queries
):
    make_room("One")
    api_client.get(url(video_event, "rooms/"))
    with django_assert_max_num_queries(12) as few:
        api_client.get(url(video_event, "rooms/"))
    for n in range(5):
        make_room(f"Room {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api_client.get(url(video_event, "rooms/"))
    assert response.json()["count"] == 6
