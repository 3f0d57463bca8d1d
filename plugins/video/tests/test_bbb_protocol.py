"""The websocket side of the server pools: ``bbb.room_url`` and the stream in the room config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scope
from eventyay_video import bbb, services, streaming
from eventyay_video.models import Module

from .fakebbb import FakeBBB

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

SECRET = "a-shared-secret-of-the-pool"


@pytest.fixture(autouse=True)
def _private_targets(settings: Any) -> None:
    """The fake server runs on 127.0.0.1, which the SSRF guard refuses by default."""
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True


@pytest.fixture
def fake() -> Iterator[FakeBBB]:
    server = FakeBBB(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def call_room(make_room: Any, video_event: Any, fake: FakeBBB) -> Any:
    room = make_room("Workshop", kinds=(Module.Kind.CHAT,))
    with scope(organizer=video_event.organizer):
        services.module_save(
            room=room, kind=Module.Kind.CALL_BBB, config={"moderator_traits": ["role:speaker"]}, order=1
        )
        bbb.bbb_server_save(organizer=video_event.organizer, data={"url": fake.url, "secret": SECRET})
    return room


def role(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query))["role"]


async def test_room_config_and_join_link_over_the_websocket(ws, token_for, call_room, fake):
    attendee = ws()
    await attendee.connect()
    await attendee.authenticate(token_for("ticket:ada", traits=("attendee",)))
    entered = await attendee.ok("room.enter", {"room": call_room.pk})
    call = next(m for m in entered["room"]["modules"] if m["type"] == "call.bigbluebutton")
    assert call["config"] == {"join_action": "bbb.room_url"} and SECRET not in str(entered)
    answer = await attendee.ok("bbb.room_url", {"room": call_room.pk})
    assert answer["url"].startswith(fake.url + "api/join?") and role(answer["url"]) == "VIEWER"
    speaker = ws()
    await speaker.connect()
    await speaker.authenticate(token_for("ticket:sp", traits=("role:speaker",)))
    assert role((await speaker.ok("bbb.room_url", {"room": call_room.pk}))["url"]) == "MODERATOR"
    assert len(fake.calls("create")) == 1
    await attendee.close()
    await speaker.close()


async def test_room_moderators_join_as_moderators(ws, token_for, call_room, video_event):
    def add_moderator() -> None:
        with scope(organizer=video_event.organizer):
            services.moderator_add(event=video_event, uid="ticket:mod", name="Mod", room=call_room)

    await sync_to_async(add_moderator)()
    client = ws()
    await client.connect()
    await client.authenticate(token_for("ticket:mod", traits=("attendee",)))
    assert role((await client.ok("bbb.room_url", {"room": call_room.pk}))["url"]) == "MODERATOR"
    await client.close()


async def test_unavailable_servers_give_a_clear_error(ws, token_for, call_room, fake):
    fake.fail_status = 502
    client = ws()
    await client.connect()
    await client.authenticate(token_for("ticket:ada"))
    frame = await client.call("bbb.room_url", {"room": call_room.pk})
    assert frame[0] == "error" and frame[2]["code"] == "bbb.unavailable"
    await client.close()


async def test_room_without_a_call_or_unknown_room_is_refused(ws, token_for, make_room, call_room):
    plain = await sync_to_async(make_room)("Lobby", kinds=(Module.Kind.CHAT,))
    client = ws()
    await client.connect()
    await client.authenticate(token_for("ticket:ada"))
    for room in (plain.pk, 999999, "x"):
        frame = await client.call("bbb.room_url", {"room": room})
        assert frame[0] == "error" and frame[2]["code"] == "room.unknown"
    await client.close()


async def test_room_enter_delivers_the_stream_and_its_fallback(ws, token_for, make_room, video_event):
    def setup() -> Any:
        room = make_room("Stage", kinds=(Module.Kind.CHAT,))
        with scope(organizer=video_event.organizer):
            services.module_save(
                room=room, kind=Module.Kind.LIVESTREAM_HLS, config={"source": "server"}, order=1
            )
            server = streaming.streaming_server_save(
                organizer=video_event.organizer,
                data={
                    "name": "CDN",
                    "ingest_url_template": "rtmp://ingest.example.org/live/{stream}?key={key}",
                    "playback_url_template": "https://cdn.example.org/hls/{stream}.m3u8",
                },
            )
            stream = streaming.room_stream_save(
                room=room, server=server, fallback_url="https://cdn.example.org/loop.m3u8"
            )
        return room, stream

    room, stream = await sync_to_async(setup)()
    client = ws()
    await client.connect()
    await client.authenticate(token_for("ticket:ada"))
    entered = await client.ok("room.enter", {"room": room.pk})
    config = next(m for m in entered["room"]["modules"] if m["type"] == "livestream.hls")["config"]
    assert config["url"] == f"https://cdn.example.org/hls/{stream.stream}.m3u8"
    assert config["fallback_url"] == "https://cdn.example.org/loop.m3u8"
    assert "key" not in config["url"]
    await client.close()
