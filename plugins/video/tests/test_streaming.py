"""Streaming servers, per-room stream keys, and the fallback when the primary stream stops."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import services, streaming
from eventyay_video.models import Module, RoomStream, StreamingServer
from eventyay_video.selectors import room_dict
from eventyay_video.tasks import stream_health_check_all
from eventyay_video.tokens import VideoUser

from eventyay.base.secrets import is_encrypted, secret_decrypt

ADA = VideoUser(uid="ticket:ada", name="Ada")


@pytest.fixture(autouse=True)
def _private_targets(settings: Any) -> None:
    """The fake HLS origin runs on 127.0.0.1, which the SSRF guard refuses by default."""
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True


class FakeOrigin:
    """An HLS origin whose playlists answer while ``live`` is set."""

    def __init__(self) -> None:
        self.live = True
        self.requests: list[str] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                origin.requests.append(self.path)
                body = b"#EXTM3U\n#EXT-X-VERSION:3\n" if origin.live else b"not found"
                self.send_response(200 if origin.live else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def origin() -> Iterator[FakeOrigin]:
    fake = FakeOrigin()
    yield fake
    fake.stop()


@pytest.fixture
def stream_server(video_event: Any, origin: FakeOrigin) -> StreamingServer:
    with scope(organizer=video_event.organizer):
        return streaming.streaming_server_save(
            organizer=video_event.organizer,
            data={
                "name": "Origin",
                "ingest_url_template": "rtmp://ingest.example.org/live/{stream}?key={key}",
                "playback_url_template": origin.url + "/hls/{stream}/index.m3u8",
            },
        )


@pytest.fixture
def stage(make_room: Callable[..., Any], video_event: Any, stream_server: StreamingServer) -> Any:
    room = make_room("Stage", kinds=(Module.Kind.CHAT,))
    with scope(organizer=video_event.organizer):
        services.module_save(room=room, kind=Module.Kind.LIVESTREAM_HLS, config={"source": "server"}, order=1)
        streaming.room_stream_save(
            room=room, server=stream_server, fallback_url="https://backup.example.org/loop.m3u8"
        )
    return room


def hls_config(room: Any) -> dict[str, Any]:
    with scope(organizer=room.event.organizer):
        data = room_dict(room, user=ADA)
    return next(m["config"] for m in data["modules"] if m["type"] == "livestream.hls")


def test_playback_template_may_not_carry_the_key(video_event):
    with scope(organizer=video_event.organizer), pytest.raises(ValidationError) as info:
        streaming.streaming_server_save(
            organizer=video_event.organizer,
            data={
                "name": "Leaky",
                "ingest_url_template": "rtmp://ingest.example.org/live/{key}",
                "playback_url_template": "https://cdn.example.org/hls/{key}.m3u8",
            },
        )
    assert "playback_url_template" in info.value.message_dict


def test_ingest_template_needs_the_key(video_event):
    with scope(organizer=video_event.organizer), pytest.raises(ValidationError) as info:
        streaming.streaming_server_save(
            organizer=video_event.organizer,
            data={
                "name": "Open",
                "ingest_url_template": "rtmp://ingest.example.org/live/{stream}",
                "playback_url_template": "https://cdn.example.org/hls/{stream}.m3u8",
            },
        )
    assert "ingest_url_template" in info.value.message_dict


def test_room_stream_has_an_encrypted_key_only_in_the_ingest_url(stage, origin):
    with scope(organizer=stage.event.organizer):
        stream = RoomStream.objects.select_related("server").get(room=stage)
        key = secret_decrypt(stream.key).reveal()
        assert is_encrypted(stream.key) and key not in stream.key
        assert streaming.ingest_url(stream) == f"rtmp://ingest.example.org/live/{stream.stream}?key={key}"
    config = hls_config(stage)
    assert config["url"] == f"{origin.url}/hls/{stream.stream}/index.m3u8"
    assert config["fallback_url"] == "https://backup.example.org/loop.m3u8" and config["primary_ok"]
    assert key not in str(config)


def test_rotating_the_key_replaces_it(stage):
    with scope(organizer=stage.event.organizer):
        stream = RoomStream.objects.select_related("server", "room__event__organizer").get(room=stage)
        before_key, before_ingest = stream.key, streaming.ingest_url(stream)
        streaming.stream_key_rotate(stream=stream)
        stream.refresh_from_db()
        assert stream.key != before_key and streaming.ingest_url(stream) != before_ingest
        assert streaming.playback_url(stream) in hls_config(stage)["url"]


def test_stage_falls_back_after_repeated_failures_and_returns(
    stage, origin, django_capture_on_commit_callbacks
):
    with scope(organizer=stage.event.organizer):
        stream = RoomStream.objects.select_related("server").get(room=stage)
        assert streaming.stream_health_check(stream=stream)
        origin.live = False
        with django_capture_on_commit_callbacks() as announced:
            assert streaming.stream_health_check(stream=stream)
        assert not announced
        assert hls_config(stage)["url"].startswith(origin.url)
        with django_capture_on_commit_callbacks() as announced:
            assert not streaming.stream_health_check(stream=stream)
        assert len(announced) == 1
        config = hls_config(stage)
        assert config["url"] == "https://backup.example.org/loop.m3u8" and not config["primary_ok"]
        assert config["primary"].startswith(origin.url)
        origin.live = True
        with django_capture_on_commit_callbacks() as announced:
            assert streaming.stream_health_check(stream=stream)
        assert len(announced) == 1 and hls_config(stage)["url"].startswith(origin.url)


def test_module_with_its_own_url_keeps_it_with_a_fallback(make_room, video_event):
    room = make_room("Side", kinds=())
    with scope(organizer=video_event.organizer):
        services.module_save(
            room=room,
            kind=Module.Kind.LIVESTREAM_HLS,
            config={
                "url": "https://cdn.example.org/a.m3u8",
                "fallback_url": "https://cdn.example.org/b.m3u8",
            },
        )
    config = hls_config(room)
    assert (
        config["url"] == "https://cdn.example.org/a.m3u8"
        and config["fallback_url"] == "https://cdn.example.org/b.m3u8"
    )


def test_bad_fallback_url_names_the_field(make_room, video_event):
    room = make_room("Side", kinds=())
    with scope(organizer=video_event.organizer), pytest.raises(ValidationError) as info:
        services.module_save(
            room=room, kind=Module.Kind.LIVESTREAM_HLS, config={"source": "server", "fallback_url": "nope"}
        )
    assert "fallback_url" in info.value.message_dict


# --- control pages -----------------------------------------------------------------------------


def control(event: Any, name: str, **kwargs: Any) -> str:
    return reverse(
        f"plugins:video:control.{name}",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs},
    )


def test_control_room_stream_page_sets_the_server_and_rotates_the_key(
    client_for, user, video_event, make_room, stream_server
):
    room = make_room("Hall", kinds=())
    admin = client_for(user)
    url = control(video_event, "room.stream", room=room.pk)
    assert admin.get(url).status_code == 200
    response = admin.post(
        url, {"save": "1", "server": stream_server.pk, "fallback_url": "https://b.example.org/x.m3u8"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        stream = RoomStream.objects.get(room=room)
    page = admin.get(url).content.decode()
    key = secret_decrypt(stream.key).reveal()
    assert key in page and stream.stream in page
    assert admin.post(url, {"rotate": "1"}).status_code == 302
    with scopes_disabled():
        stream.refresh_from_db()
    assert secret_decrypt(stream.key).reveal() != key


def test_control_streaming_server_form_names_the_bad_field(client_for, user, video_event):
    response = client_for(user).post(
        control(video_event, "servers"),
        {
            "stream-name": "CDN",
            "stream-ingest_url_template": "rtmp://i/{key}",
            "stream-playback_url_template": "https://c/{key}.m3u8",
            "stream-active": "on",
        },
    )
    assert response.status_code == 200 and "Unknown placeholder: key." in response.content.decode()


def test_streaming_server_in_use_cannot_be_deleted(client_for, user, video_event, stage, stream_server):
    response = client_for(user).post(
        control(video_event, "servers.streaming", server=stream_server.pk), {"delete": "1"}
    )
    assert response.status_code == 200 and "Rooms still stream to this server" in response.content.decode()


def test_stream_pages_of_another_organizer_are_404(
    client_for, other_organizer, video_event, stage, stream_server
):
    outsider = client_for(other_organizer.member)
    assert outsider.get(control(video_event, "room.stream", room=stage.pk)).status_code == 404
    assert (
        outsider.post(control(video_event, "room.stream", room=stage.pk), {"rotate": "1"}).status_code == 404
    )
    assert outsider.get(control(video_event, "servers.streaming", server=stream_server.pk)).status_code == 404


def test_streaming_server_of_another_organizer_cannot_be_chosen(
    client_for, user, video_event, make_room, other_organizer
):
    with scope(organizer=other_organizer):
        foreign = streaming.streaming_server_save(
            organizer=other_organizer,
            data={
                "name": "Theirs",
                "ingest_url_template": "rtmp://x/{key}",
                "playback_url_template": "https://x/{stream}.m3u8",
            },
        )
    room = make_room("Hall", kinds=())
    response = client_for(user).post(
        control(video_event, "room.stream", room=room.pk), {"save": "1", "server": foreign.pk}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    with scopes_disabled():
        assert not RoomStream.objects.filter(room=room).exists()


def test_beat_task_checks_every_stream_and_counts_the_down_ones(stage, origin):
    assert django_settings.CELERY_BEAT_SCHEDULE["eventyay-video-stream-health"]["task"] == (
        "eventyay_video.tasks.stream_health_check_all"
    )
    origin.live = False
    assert stream_health_check_all() == 0
    assert stream_health_check_all() == 1
    assert any(path.startswith("/hls/") for path in origin.requests)
