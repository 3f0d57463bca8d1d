"""Roulette calls on Janus in the browser: signed tokens, the page's CSP, and two attendees
whose pages show each other's video through Debian's Janus (headless Chromium, fake camera)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled
from eventyay_video import janus, roulette, services
from eventyay_video.models import JanusServer, Module, RouletteCall, RouletteRequest

from eventyay.base.secrets import secret_encrypt
from eventyay.testing.plugin import CHROMIUM_ARGS, launched_chromium

from .janus_servers import ADMIN_KEY, API_SECRET, janus_binary, real_janus
from .test_browser import ServerThread

REAL_JANUS = bool(janus_binary()) or os.environ.get("EVENTYAY_REQUIRE_SERVICES") == "1"
needs_janus = pytest.mark.skipif(not REAL_JANUS, reason="Debian's janus is not installed")

MEDIA_ARGS = [
    *CHROMIUM_ARGS,
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def make_server(event: Any, url: str, *, api_secret: str = API_SECRET, **kwargs: Any) -> JanusServer:
    with scope(organizer=event.organizer):
        return JanusServer.objects.create(
            organizer=event.organizer,
            url=url,
            api_secret=secret_encrypt(api_secret) if api_secret else "",
            admin_key=secret_encrypt(ADMIN_KEY),
            **kwargs,
        )


def janus_post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps({**body, "transaction": "t1"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(json.loads(response.read()))


# --- server side --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_browser_token_is_signed_for_the_videoroom_with_the_api_secret(video_event):
    server = make_server(video_event, "https://janus.example.org/janus")
    token = janus.janus_browser_token(server, now=1_000_000)
    data, signature = token.split(":")
    assert data == f"{1_000_000 + janus.BROWSER_TOKEN_TTL},janus,janus.plugin.videoroom"
    expected = hmac.new(API_SECRET.encode(), data.encode(), hashlib.sha1).digest()
    assert base64.b64decode(signature) == expected
    assert API_SECRET not in token


@pytest.mark.django_db
def test_server_without_api_secret_needs_no_token(video_event):
    server = make_server(video_event, "https://janus.example.org/janus", api_secret="")
    assert janus.janus_browser_token(server) == ""


@pytest.mark.django_db
def test_match_payload_has_url_room_pin_and_token_but_no_secret(video_event, room):
    server = make_server(video_event, "https://janus.example.org/janus")
    with scope(organizer=video_event.organizer):
        call = RouletteCall.objects.create(
            room=room,
            janus_server=server,
            janus_room=1234,
            janus_pin="the-pin",
            janus_secret=secret_encrypt("s"),
        )
    details = roulette.call_dict(call)
    assert details is not None
    assert details["type"] == "janus" and details["server"] == "https://janus.example.org/janus"
    assert (details["room"], details["pin"]) == (1234, "the-pin")
    assert details["token"].split(",")[1:3] == [
        "janus",
        "janus.plugin.videoroom:" + details["token"].split(":")[1],
    ]
    text = json.dumps(details)
    assert API_SECRET not in text and ADMIN_KEY not in text and "janus_secret" not in text


def test_janus_origin():
    assert janus.janus_origin("https://Janus.Example.org/janus") == "https://janus.example.org"
    assert janus.janus_origin("http://127.0.0.1:8088/janus") == "http://127.0.0.1:8088"
    assert janus.janus_origin("https://user:pw@janus.example.org:8089/x") == "https://janus.example.org:8089"


@pytest.mark.django_db
def test_video_page_csp_allows_the_organizers_janus_servers_only(
    client, video_event, other_organizer, make_event, token_for
):
    page = f"/{video_event.organizer.slug}/{video_event.slug}/video/"
    csp = client.get(page)["Content-Security-Policy"]
    assert "http://janus" not in csp

    make_server(video_event, "http://janus.example.org:8088/janus")
    make_server(video_event, "https://janus2.example.org/janus", active=False)
    with scopes_disabled():
        JanusServer.objects.create(organizer=other_organizer, url="http://other-janus.example.org:8088/janus")
    csp = client.get(page)["Content-Security-Policy"]
    connect = next(part for part in csp.split(";") if part.strip().startswith("connect-src")).split()
    assert "http://janus.example.org:8088" in connect
    assert "https://janus2.example.org" in connect
    assert "http://other-janus.example.org:8088" not in csp
    # Only the video page opens up: the event's other pages keep the default policy.
    assert (
        "janus.example.org"
        not in client.get(f"/{video_event.organizer.slug}/{video_event.slug}/")["Content-Security-Policy"]
    )


def test_janus_client_assets_are_served(client):
    for path in ("/static/vendor/janus/janus.es.js", "/static/vendor/webrtc-adapter/adapter.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content if response.streaming else [response.content])


@pytest.fixture
def signed_janus(settings: Any) -> Iterator[str]:
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    with real_janus(signed_tokens=True) as url:
        yield url


@needs_janus
@pytest.mark.django_db
def test_real_janus_accepts_the_signed_token_and_refuses_a_forged_one(video_event, signed_janus):
    server = make_server(video_event, signed_janus)
    token = janus.janus_browser_token(server)
    session = janus_post(signed_janus, {"janus": "create", "token": token})
    assert session["janus"] == "success"
    attached = janus_post(
        f"{signed_janus}/{session['data']['id']}",
        {"janus": "attach", "plugin": "janus.plugin.videoroom", "token": token},
    )
    assert attached["janus"] == "success"

    data, signature = token.split(":")
    forged = f"{int(data.split(',')[0]) + 3600},janus,janus.plugin.videoroom:{signature}"
    refused = janus_post(signed_janus, {"janus": "create", "token": forged})
    assert refused["janus"] == "error" and refused["error"]["code"] == 403
    # The server side keeps using the API secret on the same Janus.
    created = janus.janus_room_create(server=server, description="Networking")
    janus.janus_room_destroy(server=server, room=created.room, stored_secret=created.stored_secret)


# --- in the browser -----------------------------------------------------------------------------


@pytest.fixture
def media_chromium() -> Iterator[Any]:
    """Headless Chromium with a fake camera and microphone that it may use without asking."""
    with launched_chromium(MEDIA_ARGS) as browser:
        yield browser


REMOTE_VIDEO_PLAYS = """() => {
  const video = document.getElementById("video-roulette-remote");
  if (!video || !video.srcObject) return false;
  const live = video.srcObject.getVideoTracks().filter((t) => t.readyState === "live");
  return live.length > 0 && video.videoWidth > 0 && !video.paused && video.currentTime > 0;
}"""


def janus_participants(url: str, room: int, pin: str) -> list[dict[str, Any]]:
    session = janus_post(url, {"janus": "create", "apisecret": API_SECRET})["data"]["id"]
    handle = janus_post(
        f"{url}/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom", "apisecret": API_SECRET}
    )["data"]["id"]
    answer = janus_post(
        f"{url}/{session}/{handle}",
        {"janus": "message", "apisecret": API_SECRET, "body": {"request": "listparticipants", "room": room}},
    )
    janus_post(f"{url}/{session}", {"janus": "destroy", "apisecret": API_SECRET})
    return list(answer["plugindata"]["data"].get("participants", []))


@pytest.mark.browser
@needs_janus
@pytest.mark.django_db(transaction=True)
def test_two_attendees_see_each_other_through_janus(
    video_event, make_room, token_for, media_chromium, signed_janus
):
    server = make_server(video_event, signed_janus)
    room = make_room(name="Networking", kinds=(Module.Kind.CHAT,))
    with scope(organizer=video_event.organizer):
        services.module_save(room=room, kind=Module.Kind.NETWORKING_ROULETTE, config={})
    path = f"/{video_event.organizer.slug}/{video_event.slug}/video/"
    with ServerThread() as base:
        contexts = [media_chromium.new_context(), media_chromium.new_context()]
        alice, bob = (context.new_page() for context in contexts)
        errors: list[str] = []
        for page in (alice, bob):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on(
                "console",
                lambda msg: errors.append(msg.text) if "Content-Security-Policy" in msg.text else None,
            )
            page.set_default_timeout(20000)
        alice.goto(base + path + "?token=" + token_for(uid="ticket:alice", name="Alice"))
        bob.goto(base + path + "?token=" + token_for(uid="ticket:bob", name="Bob"))
        for page in (alice, bob):
            page.locator("#video-room-name", has_text="Networking").wait_for()

        alice.get_by_role("button", name="Meet someone").click()
        alice.locator("#video-roulette-status", has_text="Waiting for someone").wait_for()
        bob.get_by_role("button", name="Meet someone").click()
        alice.locator("#video-roulette-status", has_text="You are meeting Bob.").wait_for()
        bob.locator("#video-roulette-status", has_text="You are meeting Alice.").wait_for()

        # Each page publishes its fake camera and plays the partner's video from Janus.
        for page in (alice, bob):
            page.wait_for_function(REMOTE_VIDEO_PLAYS, timeout=30000)
            assert page.get_attribute("#video-roulette-call", "data-janus-state") in (
                "connected",
                "published",
            )
        with scopes_disabled():
            call = RouletteCall.objects.get(room=room, ended__isnull=True)
        assert call.janus_server_id == server.pk
        participants = janus_participants(signed_janus, call.janus_room, call.janus_pin)
        assert len(participants) == 2 and all(p["publisher"] for p in participants)
        assert errors == []

        # Bob moves on: both pages leave the Janus room and drop the videos.
        bob.get_by_role("button", name="Next person").click()
        alice.locator("#video-roulette-status", has_text="Your partner moved on").wait_for()
        for page in (alice, bob):
            page.locator("#video-roulette-remote").wait_for(state="detached")
        alice.get_by_role("button", name="Stop meeting people").click()
        alice.get_by_role("button", name="Meet someone").wait_for()
        for context in contexts:
            context.close()
    with scopes_disabled():
        states = dict(RouletteRequest.objects.filter(room=room).values_list("uid", "state"))
        call.refresh_from_db()
    assert states == {"ticket:alice": "left", "ticket:bob": "left"}
    assert call.ended is not None
    assert errors == []


@pytest.mark.browser
@needs_janus
@pytest.mark.django_db(transaction=True)
def test_janus_refusing_the_browser_is_shown(video_event, make_room, token_for, media_chromium, settings):
    """A server with an API secret but no ``token_auth_secret`` refuses the page's token: the
    page says the call could not be connected (room and PIN stay shown) instead of hanging."""
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    with real_janus() as url:
        make_server(video_event, url)
        room = make_room(name="Networking", kinds=(Module.Kind.CHAT,))
        with scope(organizer=video_event.organizer):
            services.module_save(room=room, kind=Module.Kind.NETWORKING_ROULETTE, config={})
        path = f"/{video_event.organizer.slug}/{video_event.slug}/video/"
        with ServerThread() as base:
            contexts = [media_chromium.new_context(), media_chromium.new_context()]
            pages = [context.new_page() for context in contexts]
            errors: list[str] = []
            for page, (uid, name) in zip(
                pages, (("ticket:alice", "Alice"), ("ticket:bob", "Bob")), strict=True
            ):
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.set_default_timeout(20000)
                page.goto(base + path + "?token=" + token_for(uid=uid, name=name))
                page.locator("#video-room-name", has_text="Networking").wait_for()
                page.get_by_role("button", name="Meet someone").click()
            for page in pages:
                page.locator("#video-roulette-call-state", has_text="could not be connected").wait_for()
                assert page.get_attribute("#video-roulette-call", "data-janus-state") == "failed"
                assert "PIN" in (page.text_content("#video-roulette-join") or "")
            assert errors == []
            for context in contexts:
                context.close()
