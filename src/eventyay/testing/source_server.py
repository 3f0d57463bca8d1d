"""A stand-in for another system's REST API (pretix, pretalx) in importer tests.

:class:`FakeSource` serves recorded answers from a fixture directory on ``127.0.0.1``:

* ``GET /a/b/`` answers with ``<dir>/a/b/index.json``, ``GET /a/b/?page=2`` with
  ``<dir>/a/b/index@page=2.json`` (query parameters sorted, joined with ``&``);
* a path that names a file (``GET /a/b/file.pdf``) answers with that file as it is, and so
  does ``index.<extension>`` for a path ending in a slash (``GET /a/b/download/``);
* recorded answers name their server as ``http://source.invalid``; that origin is replaced by
  the fake server's own, so ``next`` links and download URLs lead back to it.

``fail(path, status, times=..., headers=...)`` makes the next requests of a path fail (a 429
with ``Retry-After``, a 503), and ``requests`` records what was asked, for assertions.
The client under test must allow private addresses (``OUTGOING_HTTP_ALLOW_PRIVATE``).
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

#: The origin recorded answers use for their own server.
RECORDED_ORIGIN = "http://source.invalid"


@dataclass
class _Failure:
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SourceRequest:
    path: str
    query: str
    authorization: str | None


class FakeSource:
    """Serves the files of ``root`` as a REST API would; see the module docstring."""

    def __init__(self, root: Path, *, token: str | None = None) -> None:
        self.root = root
        #: When set, requests without ``Authorization: Token <token>`` get a 401.
        self.token = token
        self.requests: list[SourceRequest] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, headers, body = fake._answer(self.path, self.headers.get("Authorization"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def fail(self, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` requests of ``path`` (without query) with ``status``."""
        with self._lock:
            self._failures.setdefault(path, []).append(_Failure(status, times, headers or {}))

    def _answer(self, raw_path: str, authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        self.requests.append(SourceRequest(path=path, query=parts.query, authorization=authorization))
        with self._lock:
            queue = self._failures.get(path)
            if queue:
                failure = queue[0]
                failure.times -= 1
                if failure.times <= 0:
                    queue.pop(0)
                return failure.status, failure.headers, b'{"detail": "failure on purpose"}'
        if self.token is not None and authorization != f"Token {self.token}":
            return 401, {"Content-Type": "application/json"}, b'{"detail": "Invalid token."}'
        file = self._file(path, parts.query)
        if file is None:
            return 404, {"Content-Type": "application/json"}, b'{"detail": "Not found."}'
        body = file.read_bytes()
        if file.suffix == ".json":
            body = body.replace(RECORDED_ORIGIN.encode(), self.origin.encode())
            return 200, {"Content-Type": "application/json"}, body
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return 200, {"Content-Type": content_type}, body

    def _file(self, path: str, query: str) -> Path | None:
        relative = path.strip("/")
        if ".." in relative.split("/"):
            return None
        if path.endswith("/") or not relative:
            name = "index"
            if query:
                name += "@" + urlencode(sorted(parse_qsl(query)))
            candidate = self.root / relative / f"{name}.json"
            if not candidate.is_file() and not query:
                # A download at an address ending in a slash: ``index.pdf`` and the like.
                candidate = next(iter(sorted((self.root / relative).glob("index.*"))), candidate)
        else:
            candidate = self.root / relative
        return candidate if candidate.is_file() else None

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def fake_source(root: Path, *, token: str | None = None) -> Iterator[FakeSource]:
    """A :class:`FakeSource` for the duration of the block."""
    source = FakeSource(root, token=token)
    try:
        yield source
    finally:
        source.stop()
