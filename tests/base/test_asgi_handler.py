"""The ASGI handler runs each request's sync code in one hop, on one of a fixed set of threads."""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import RequestFactory, override_settings
from django.urls import path, resolve

from eventyay.config.asgi_handler import EARLY_MATCH_ATTR, STREAM_BATCH_BYTES, SyncChainASGIHandler

entered = threading.Event()
release = threading.Event()


def thread_name(request: HttpRequest) -> HttpResponse:
    return HttpResponse(threading.current_thread().name)


def wait(request: HttpRequest) -> HttpResponse:
    entered.set()
    release.wait(10)
    return HttpResponse(threading.current_thread().name)


#: What the streaming view's parts saw: the thread that read each, and how many had been read
#: when the first body message went out.
streamed: dict[str, Any] = {}
PART = b"x" * 4096
PARTS = 1000


def stream(request: HttpRequest) -> StreamingHttpResponse:
    view_thread = threading.current_thread().name

    def parts() -> Iterator[bytes]:
        for number in range(PARTS):
            streamed["read"] = number + 1
            streamed.setdefault("threads", set()).add(threading.current_thread().name)
            streamed["view_thread"] = view_thread
            yield PART

    return StreamingHttpResponse(parts(), content_type="application/octet-stream")


urlpatterns = [path("thread/", thread_name), path("wait/", wait), path("stream/", stream)]


async def _get(
    handler: SyncChainASGIHandler, url: str, watch: Callable[[dict[str, Any]], None] | None = None
) -> tuple[int, str]:
    messages: list[dict[str, Any]] = []
    received: list[bool] = []

    async def receive() -> dict[str, Any]:
        if not received:
            received.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Future()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if watch is not None:
            watch(message)
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await handler(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_the_middleware_chain_is_synchronous():
    handler = SyncChainASGIHandler(threads=2)
    assert not iscoroutinefunction(handler._middleware_chain)


@override_settings(ROOT_URLCONF=__name__)
def test_requests_run_on_a_fixed_set_of_reused_threads():
    handler = SyncChainASGIHandler(threads=2)

    async def rush() -> list[tuple[int, str]]:
        return await asyncio.gather(*(_get(handler, "/thread/") for _i in range(20)))

    first, second = asyncio.run(rush()), asyncio.run(rush())
    assert {status for status, _name in first + second} == {200}
    names = {name for _status, name in first + second}
    assert names <= {"django-0_0", "django-1_0"}
    assert threading.current_thread().name not in names


@override_settings(ROOT_URLCONF=__name__)
def test_a_request_waits_for_a_free_thread():
    handler = SyncChainASGIHandler(threads=1)
    entered.clear()
    release.clear()

    async def both() -> tuple[tuple[int, str], tuple[int, str], bool]:
        slow = asyncio.create_task(_get(handler, "/wait/"))
        await asyncio.to_thread(entered.wait, 10)
        quick = asyncio.create_task(_get(handler, "/thread/"))
        await asyncio.sleep(0.2)
        waited = not quick.done()
        release.set()
        return await slow, await quick, waited

    slow, quick, waited = asyncio.run(both())
    assert waited
    assert slow == quick == (200, "django-0_0")


@override_settings(ROOT_URLCONF=__name__)
def test_a_url_the_tenant_middleware_resolved_is_not_resolved_again():
    handler = SyncChainASGIHandler(threads=1)
    request = RequestFactory().get("/thread/")
    early = resolve("/thread/")
    setattr(request, EARLY_MATCH_ATTR, ("/thread/", early))
    assert handler.resolve_request(request) is early
    assert request.resolver_match is early
    moved = RequestFactory().get("/wait/")
    setattr(moved, EARLY_MATCH_ATTR, ("/thread/", early))
    assert handler.resolve_request(moved).func is wait


@override_settings(ROOT_URLCONF=__name__)
def test_a_synchronous_stream_is_sent_while_it_is_read_on_the_requests_thread():
    handler = SyncChainASGIHandler(threads=1)
    streamed.clear()
    read_at_first_body: list[int] = []

    def watch(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not read_at_first_body:
            read_at_first_body.append(streamed["read"])

    with warnings.catch_warnings():
        # Django's handler warns when it reads a synchronous iterator whole.
        warnings.simplefilter("error")
        status, body = asyncio.run(_get(handler, "/stream/", watch))
    assert (status, body) == (200, (PART * PARTS).decode())
    # The first bytes left after one batch was read, not after the whole stream.
    assert read_at_first_body == [STREAM_BATCH_BYTES // len(PART)]
    # Every part was read on the thread that ran the view, not on the event loop.
    assert streamed["threads"] == {streamed["view_thread"]} == {"django-0_0"}


@override_settings(ROOT_URLCONF=__name__)
def test_a_response_is_made_and_closed_in_one_hop_before_it_is_sent():
    handler = SyncChainASGIHandler(threads=1)
    events: list[tuple[str, str]] = []

    def started(**kwargs: Any) -> None:
        events.append(("started", threading.current_thread().name))

    def finished(**kwargs: Any) -> None:
        events.append(("finished", threading.current_thread().name))

    def watch(message: dict[str, Any]) -> None:
        events.append((message["type"], threading.current_thread().name))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        status, name = asyncio.run(_get(handler, "/thread/", watch))
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    loop_thread = threading.current_thread().name
    assert (status, name) == (200, "django-0_0")
    # The database connection (given back by the finished signal) is free before the bytes go out.
    assert events == [
        ("started", "django-0_0"),
        ("finished", "django-0_0"),
        ("http.response.start", loop_thread),
        ("http.response.body", loop_thread),
    ]


@override_settings(ROOT_URLCONF=__name__)
def test_a_streaming_response_is_closed_after_it_was_sent():
    handler = SyncChainASGIHandler(threads=1)
    events: list[str] = []

    def finished(**kwargs: Any) -> None:
        events.append("finished")

    def watch(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            events.append("last body")

    request_finished.connect(finished)
    try:
        status, _body = asyncio.run(_get(handler, "/stream/", watch))
    finally:
        request_finished.disconnect(finished)
    assert status == 200
    assert events == ["last body", "finished"]
