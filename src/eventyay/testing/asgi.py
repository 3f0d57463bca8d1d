"""A test client that sends requests through the production ASGI application (``eventyay.config.asgi``).

Django's test client calls the view stack directly and so never meets what sits in front of
it (the fast path for cached pages, :mod:`eventyay.base.services.fast_pages`). This client
builds an ASGI scope and runs the real application in the test's thread, so the test's
database transaction is seen, and keeps cookies like a browser. Only ``GET``/``HEAD``: the
pages it is for are read, and real CSRF checks would refuse a test's ``POST``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlsplit

from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@dataclass
class AsgiResponse:
    status_code: int
    content: bytes
    #: Header names in lower case; several ``Set-Cookie`` headers are in :attr:`set_cookies`.
    headers: dict[str, str]
    set_cookies: list[str] = field(default_factory=list)
    #: ``"fast"`` if the fast path answered without entering Django, else ``"django"``.
    served_by: str = "django"

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.headers

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def wsgi_request(self) -> SimpleNamespace:
        # Tests written for Django's client read ``response.wsgi_request.eventyay_page_cache``.
        return SimpleNamespace(eventyay_page_cache="fast" if self.served_by == "fast" else None)


@contextmanager
def _keep_test_connection() -> Iterator[None]:
    # As Django's test client does: closing "old" connections would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class AsgiClient:
    """``get``/``head`` through ``eventyay.config.asgi.application``, with a cookie jar."""

    def __init__(self, host: str = "testserver") -> None:
        self.host = host
        self.cookies: SimpleCookie = SimpleCookie()

    def get(self, path: str, data: dict[str, Any] | None = None, **extra: str) -> AsgiResponse:
        return self.request("GET", path, data, **extra)

    def head(self, path: str, data: dict[str, Any] | None = None, **extra: str) -> AsgiResponse:
        return self.request("HEAD", path, data, **extra)

    def request(
        self, method: str, path: str, data: dict[str, Any] | None = None, **extra: str
    ) -> AsgiResponse:
        """``extra`` takes headers as Django's client does: ``HTTP_ACCEPT_LANGUAGE="de"``."""
        from eventyay.config.asgi import application

        parts = urlsplit(path)
        query = parts.query or (urlencode(data) if data else "")
        headers = [(b"host", self.host.encode())]
        for key, value in extra.items():
            if key.startswith("HTTP_"):
                headers.append((key[5:].lower().replace("_", "-").encode(), str(value).encode("latin-1")))
        if self.cookies:
            jar = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
            headers.append((b"cookie", jar.encode("latin-1")))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": (self.host, 80),
        }
        started = []
        messages: list[dict[str, Any]] = []

        def noted(**kwargs: Any) -> None:
            started.append(True)

        received: list[bool] = []

        async def receive() -> dict[str, Any]:
            if not received:
                received.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            # The client stays connected: Django stops listening once it has answered.
            await asyncio.Future()
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            messages.append(dict(message))

        request_started.connect(noted)
        try:
            with _keep_test_connection():
                async_to_sync(application)(scope, receive, send)
        finally:
            request_started.disconnect(noted)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        response_headers: dict[str, str] = {}
        set_cookies = []
        for name, value in start.get("headers", ()):
            key, text = bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1")
            if key == "set-cookie":
                set_cookies.append(text)
                self.cookies.load(text)
            else:
                response_headers[key] = text
        return AsgiResponse(
            status_code=start["status"],
            content=body,
            headers=response_headers,
            set_cookies=set_cookies,
            served_by="django" if started else "fast",
        )
