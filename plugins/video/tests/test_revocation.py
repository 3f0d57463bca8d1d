"""Revoking access tokens (per user, per event) and closing sockets whose token ran out."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import services
from eventyay_video.models import TokenRevocation
from eventyay_video.tokens import token_decode
from rest_framework.test import APIClient

from eventyay.base.models import LogEntry
from eventyay.base.services.teams import token_create

TOKEN_CLOSE_CODE = 4401


def revoke(event, uid: str | None) -> None:
    with scope(organizer=event.organizer):
        if uid is None:
            services.token_revoke_all(event=event)
        else:
            services.token_revoke(event=event, uid=uid)


async def authenticated(ws, token: str):
    client = ws()
    await client.connect()
    await client.authenticate(token)
    return client


async def assert_closed_for(client, code: str) -> None:
    assert (await client.receive_until("error", timeout=8))[2] == {"code": code}
    closed = await client.communicator.receive_output(timeout=2)
    assert (closed["type"], closed["code"]) == ("websocket.close", TOKEN_CLOSE_CODE)


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
class TestSockets:
    async def test_revoked_token_is_refused_and_a_newer_one_admitted(self, ws, video_event, token_for):
        old = token_for(uid="ticket:alice")
        bob = token_for(uid="ticket:bob")
        await sync_to_async(revoke)(video_event, "ticket:alice")
        client = ws()
        await client.connect()
        await client.send("authenticate", {"token": old})
        assert await client.receive() == ["error", None, {"code": "auth.revoked_token"}]
        await client.authenticate(token_for(uid="ticket:alice"))
        await client.close()
        other = await authenticated(ws, bob)
        await other.close()

    async def test_revoking_everyone_refuses_every_older_token(self, ws, video_event, token_for):
        old = token_for(uid="ticket:carol")
        await sync_to_async(revoke)(video_event, None)
        client = ws()
        await client.connect()
        await client.send("authenticate", 1, {"token": old})
        assert await client.receive() == ["error", 1, {"code": "auth.revoked_token"}]
        await client.close()

    async def test_open_socket_closes_when_its_user_is_revoked(self, ws, video_event, room, token_for):
        alice = await authenticated(ws, token_for(uid="ticket:alice"))
        bob = await authenticated(ws, token_for(uid="ticket:bob"))
        await sync_to_async(revoke)(video_event, "ticket:alice")
        await assert_closed_for(alice, "auth.revoked_token")
        assert (await bob.ok("room.enter", {"room": room.pk}))["room"]["id"] == room.pk
        await bob.close()

    async def test_revoking_everyone_closes_every_socket(self, ws, video_event, token_for):
        clients = [await authenticated(ws, token_for(uid=f"ticket:{n}")) for n in range(3)]
        await sync_to_async(revoke)(video_event, None)
        for client in clients:
            await assert_closed_for(client, "auth.revoked_token")

    async def test_periodic_check_closes_a_socket_whose_kick_never_came(
        self, ws, video_event, token_for, settings, monkeypatch
    ):
        settings.VIDEO_TOKEN_CHECK_INTERVAL = 0.1
        monkeypatch.setattr(services.realtime, "kick", lambda **kwargs: None)
        client = await authenticated(ws, token_for(uid="ticket:alice"))
        await sync_to_async(revoke)(video_event, "ticket:alice")
        await assert_closed_for(client, "auth.revoked_token")

    async def test_open_socket_closes_when_its_token_expires(self, ws, token_for):
        # Token times have whole seconds: a token valid for one second may have only a moment
        # left when it is signed, so give the login time to finish on a busy machine.
        client = await authenticated(ws, token_for(uid="ticket:alice", expires_in=3))
        await assert_closed_for(client, "auth.expired_token")


def control(event) -> str:
    return reverse(
        "plugins:video:control.moderation",
        kwargs={"organizer": event.organizer.slug, "event": event.slug},
    )


def api(event, tail: str) -> str:
    return f"/api/v1/organizers/{event.organizer.slug}/events/{event.slug}/video/tokens/{tail}"


def revocations(event) -> dict[str, LogEntry | None]:
    with scopes_disabled():
        return {
            row.uid: LogEntry.objects.filter(event=event, action_type__startswith="eventyay_video.tokens.")
            .order_by("-pk")
            .first()
            for row in TokenRevocation.objects.filter(event=event)
        }


@pytest.mark.django_db
class TestControlPanel:
    def test_team_revokes_one_user_and_everyone(self, client_for, user, video_event):
        admin = client_for(user)
        response = admin.post(control(video_event), {"revoke_tokens": "1", "t-uid": "ticket:alice"})
        assert response.status_code == 302
        entry = revocations(video_event)["ticket:alice"]
        assert entry is not None and entry.action_type == "eventyay_video.tokens.revoked"
        assert entry.user == user and entry.data == {"uid": "ticket:alice"}
        assert admin.post(control(video_event), {"revoke_all_tokens": "1"}).status_code == 302
        entry = revocations(video_event)[""]
        assert entry is not None and entry.action_type == "eventyay_video.tokens.revoked_all"

    def test_a_missing_user_id_is_a_form_error(self, client_for, user, video_event):
        response = client_for(user).post(control(video_event), {"revoke_tokens": "1", "t-uid": " "})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert revocations(video_event) == {}

    def test_another_organizer_cannot_revoke(self, client_for, other_organizer, video_event):
        outsider = client_for(other_organizer.member)
        assert outsider.post(control(video_event), {"revoke_all_tokens": "1"}).status_code == 404
        assert (
            outsider.post(control(video_event), {"revoke_tokens": "1", "t-uid": "ticket:a"}).status_code
            == 404
        )
        assert revocations(video_event) == {}


@pytest.mark.django_db
class TestApi:
    def test_revoke_one_user_then_everyone(self, api_client, video_event):
        response = api_client.post(api(video_event, "revoke/"), {"uid": "kiosk-1"}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["uid"] == "kiosk-1"
        entry = revocations(video_event)["kiosk-1"]
        assert entry is not None and entry.api_token is not None
        response = api_client.post(api(video_event, "revoke-all/"), format="json")
        assert response.status_code == 200 and response.json()["uid"] == ""
        assert set(revocations(video_event)) == {"kiosk-1", ""}

    def test_revoked_token_stays_decodable_but_is_revoked(self, api_client, video_event):
        from eventyay_video.selectors import token_revoked

        issued = api_client.post(api(video_event, ""), {"uid": "kiosk-2"}, format="json").json()["token"]
        api_client.post(api(video_event, "revoke/"), {"uid": "kiosk-2"}, format="json")
        fresh = api_client.post(api(video_event, ""), {"uid": "kiosk-2"}, format="json").json()["token"]
        with scope(organizer=video_event.organizer):
            assert token_revoked(event=video_event, user=token_decode(event=video_event, token=issued))
            assert not token_revoked(event=video_event, user=token_decode(event=video_event, token=fresh))

    def test_bad_input_names_the_field(self, api_client, video_event):
        for body in ({}, {"uid": ""}, {"uid": "x" * 201}):
            response = api_client.post(api(video_event, "revoke/"), body, format="json")
            assert response.status_code == 400 and "uid" in response.json()
        assert revocations(video_event) == {}

    def test_another_organizer_gets_404(self, other_organizer, video_event):
        with scopes_disabled():
            team = other_organizer.teams.get(name="Administrators")
            _token, secret = token_create(team=team, name="other")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        assert client.post(api(video_event, "revoke/"), {"uid": "x"}, format="json").status_code == 404
        assert client.post(api(video_event, "revoke-all/"), format="json").status_code == 404
        assert revocations(video_event) == {}
