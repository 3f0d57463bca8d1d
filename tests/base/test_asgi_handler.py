"""The ASGI handler runs each request's sync code in one hop, on one of a fixed set of threads."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import path, resolve

from eventyay.config.asgi_handler import EARLY_MATCH_ATTR, SyncChainASGIHandler

entered = threading.Event()
release = threading.Event()


def thread_name(request: HttpRequest) -> HttpResponse:
    return HttpResponse(threading.current_thread().name)


def wait(request: HttpRequest) -> HttpResponse:
    entered.set()
    release.wait(10)
    return HttpResponse(threading.current_thread().name)


urlpatterns = [path("thread/", thread_name), path("wait/", wait)]


async def _get(handler: SyncChainASGIHandler, url: str) -> tuple[int, str]:
    messages: list[dict[str, Any]] = []
    received: list[bool] = []

    async def receive() -> dict[str, Any]:
        if not received:
            received.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Future()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
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
