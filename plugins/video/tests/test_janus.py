"""Janus servers: rooms created through the Janus HTTP API, server choice, the control panel."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import janus
from eventyay_video.models import JanusServer, RouletteCall

from eventyay.base.models import LogEntry, User
from eventyay.base.secrets import is_encrypted, secret_decrypt, secret_encrypt
from eventyay.base.services.teams import team_member_add, team_save

from .janus_servers import ADMIN_KEY, API_SECRET, fake_janus, janus_binary, real_janus

pytestmark = pytest.mark.django_db

#: The fake always; Debian's Janus too where it is installed (``apt-get install janus``), and
#: always in the services run (``EVENTYAY_REQUIRE_SERVICES=1``, CI), which fails without it.
BACKENDS = (
    ["fake", "janus"] if janus_binary() or os.environ.get("EVENTYAY_REQUIRE_SERVICES") == "1" else ["fake"]
)


@pytest.fixture(params=BACKENDS)
def janus_url(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    if request.param == "janus":
        with real_janus() as url:
            yield url
    else:
        with fake_janus() as (url, _state):
            yield url


def make_server(event: Any, url: str, **kwargs: Any) -> JanusServer:
    values = {"api_secret": secret_encrypt(API_SECRET), "admin_key": secret_encrypt(ADMIN_KEY), **kwargs}
    with scope(organizer=event.organizer):
        return JanusServer.objects.create(organizer=event.organizer, url=url, **values)


def videoroom(server: JanusServer, body: dict[str, Any]) -> dict[str, Any]:
    with janus.JanusSession(server) as session:
        return session.videoroom(body)


def test_created_room_is_private_and_needs_its_pin(video_event, janus_url):
    server = make_server(video_event, janus_url)
    created = janus.janus_room_create(server=server, description="Networking")
    assert videoroom(server, {"request": "exists", "room": created.room})["exists"] is True
    listed = [room["room"] for room in videoroom(server, {"request": "list"})["list"]]
    assert created.room not in listed
    assert len(created.pin) >= 12
    assert is_encrypted(created.stored_secret)

    janus.janus_room_destroy(server=server, room=created.room, stored_secret=created.stored_secret)
    assert videoroom(server, {"request": "exists", "room": created.room})["exists"] is False
    # Destroying a room that is gone already is no error.
    janus.janus_room_destroy(server=server, room=created.room, stored_secret=created.stored_secret)


def test_room_cannot_be_destroyed_without_its_secret(video_event, janus_url):
    server = make_server(video_event, janus_url)
    created = janus.janus_room_create(server=server, description="Networking")
    with pytest.raises(janus.JanusError) as failure:
        janus.janus_room_destroy(server=server, room=created.room, stored_secret=secret_encrypt("wrong"))
    assert failure.value.code == 433


def test_wrong_api_secret_is_refused(video_event, janus_url):
    server = make_server(video_event, janus_url, api_secret=secret_encrypt("not the secret"))
    with pytest.raises(janus.JanusError, match="Unauthorized"):
        janus.janus_room_create(server=server, description="Networking")


def test_missing_admin_key_is_refused(video_event, janus_url):
    server = make_server(video_event, janus_url, admin_key="")
    with pytest.raises(janus.JanusError) as failure:
        janus.janus_room_create(server=server, description="Networking")
    assert failure.value.code == 429


def test_unreachable_server_is_a_janus_error(video_event, settings):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    with fake_janus() as (url, _state):
        pass
    server = make_server(video_event, url)
    with pytest.raises(janus.JanusError, match="did not answer"):
        janus.janus_room_create(server=server, description="Networking")


def test_private_address_is_refused_without_the_setting(video_event, settings):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = False
    with fake_janus() as (url, state):
        server = make_server(video_event, url)
        with pytest.raises(janus.JanusError, match="private network"):
            janus.janus_room_create(server=server, description="Networking")
    assert state.requests == []


def test_pick_takes_fewest_open_calls_per_weight(video_event, room):
    light = make_server(video_event, "https://janus1.example.org/janus", weight=1)
    heavy = make_server(video_event, "https://janus2.example.org/janus", weight=3)
    make_server(video_event, "https://janus3.example.org/janus", active=False)
    with scope(organizer=video_event.organizer):
        assert janus.janus_server_pick(organizer_id=video_event.organizer_id) == light
        RouletteCall.objects.create(room=room, janus_server=light, janus_room=1)
        RouletteCall.objects.create(room=room, janus_server=heavy, janus_room=2)
        # light: 1 call per unit of weight, heavy: 1/3.
        assert janus.janus_server_pick(organizer_id=video_event.organizer_id) == heavy
        RouletteCall.objects.create(room=room, janus_server=heavy, janus_room=3)
        RouletteCall.objects.create(room=room, janus_server=heavy, janus_room=4)
        RouletteCall.objects.filter(janus_server=light).update(ended="2030-01-01T00:00Z")
        assert janus.janus_server_pick(organizer_id=video_event.organizer_id) == light


def test_no_active_server_picks_none(video_event):
    make_server(video_event, "https://janus.example.org/janus", active=False)
    with scope(organizer=video_event.organizer):
        assert janus.janus_server_pick(organizer_id=video_event.organizer_id) is None


# --- control panel -------------------------------------------------------------------------------


def control(event: Any, name: str, **kwargs: Any) -> str:
    return reverse(
        f"plugins:video:control.{name}",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs},
    )


def test_team_adds_a_server_with_encrypted_write_only_secrets(client_for, user, video_event, settings):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    admin = client_for(user)
    response = admin.post(
        control(video_event, "servers"),
        {
            "janus-url": "http://127.0.0.1:8088/janus",
            "janus-active": "on",
            "janus-weight": "2",
            "janus-api_secret": "super-secret-api-key",
            "janus-admin_key": "super-secret-admin-key",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        server = JanusServer.objects.get(organizer=video_event.organizer)
        entry = LogEntry.objects.filter(action_type="eventyay_video.janus_server.created").get()
    assert secret_decrypt(server.api_secret).reveal() == "super-secret-api-key"
    assert secret_decrypt(server.admin_key).reveal() == "super-secret-admin-key"
    assert "super-secret" not in str(entry.data)

    page = admin.get(control(video_event, "servers.janus", server=server.pk)).content.decode()
    assert "super-secret" not in page
    assert "…" in page  # the masked value tells the secret is set

    # Saving without typing the secrets again keeps them.
    response = admin.post(
        control(video_event, "servers.janus", server=server.pk),
        {"janus-url": "http://127.0.0.1:8089/janus", "janus-weight": "1"},
    )
    assert response.status_code == 302
    server.refresh_from_db()
    assert server.url == "http://127.0.0.1:8089/janus" and server.active is False
    assert secret_decrypt(server.api_secret).reveal() == "super-secret-api-key"

    listing = admin.get(control(video_event, "servers")).content.decode()
    assert "127.0.0.1:8089" in listing and "super-secret" not in listing
    assert (
        admin.post(control(video_event, "servers.janus", server=server.pk), {"delete": "1"}).status_code
        == 302
    )
    with scopes_disabled():
        assert not JanusServer.objects.filter(pk=server.pk).exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [("not a url", "Enter a valid URL"), ("http://127.0.0.1:8088/janus", "private network")],
)
def test_bad_server_url_is_a_form_error(client_for, user, video_event, url, message):
    response = client_for(user).post(control(video_event, "servers"), {"janus-url": url, "janus-weight": "1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    with scopes_disabled():
        assert not JanusServer.objects.exists()


def test_other_organizer_cannot_see_or_change_servers(client_for, other_organizer, video_event):
    server = make_server(video_event, "https://janus.example.org/janus")
    outsider = client_for(other_organizer.member)
    assert outsider.get(control(video_event, "servers")).status_code == 404
    assert outsider.get(control(video_event, "servers.janus", server=server.pk)).status_code == 404
    assert (
        outsider.post(control(video_event, "servers.janus", server=server.pk), {"delete": "1"}).status_code
        == 404
    )
    assert (
        outsider.post(control(video_event, "servers"), {"janus-url": "https://x.example.org"}).status_code
        == 404
    )
    with scopes_disabled():
        assert JanusServer.objects.count() == 1


def test_server_of_another_organizer_is_404(client_for, user, video_event, other_organizer):
    with scopes_disabled():
        server = JanusServer.objects.create(organizer=other_organizer, url="https://janus.example.org/janus")
    admin = client_for(user)
    assert admin.get(control(video_event, "servers.janus", server=server.pk)).status_code == 404
    assert (
        admin.post(control(video_event, "servers.janus", server=server.pk), {"delete": "1"}).status_code
        == 404
    )


def test_servers_serve_every_event_of_the_organizer(video_event, make_event):
    server = make_server(video_event, "https://janus.example.org/janus")
    other = make_event(slug="other", plugins=["video"])
    with scope(organizer=other.organizer):
        assert janus.janus_server_pick(organizer_id=other.organizer_id) == server


def test_changing_servers_needs_the_organizer_settings_permission(client_for, organizer, video_event):
    helper = User.objects.create_user("helper@example.org", "another horse battery")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Video", permissions=["event.video:write"], all_events=True
        )
        team_member_add(team=team, user=helper)
    server = make_server(video_event, "https://janus.example.org/janus")
    video_team = client_for(helper)
    assert video_team.get(control(video_event, "rooms")).status_code == 200
    assert video_team.get(control(video_event, "servers")).status_code == 403
    assert (
        video_team.post(control(video_event, "servers.janus", server=server.pk), {"delete": "1"}).status_code
        == 403
    )
