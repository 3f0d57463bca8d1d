"""Janus servers for tests: the real one (Debian's ``janus``) when installed, and a fake.

The fake speaks the part of the Janus HTTP API that eventyay uses, with Janus's own answers
(checked against Janus 1.1): sessions, handles attached to ``janus.plugin.videoroom``,
transactions echoed, ``apisecret`` checked on every request (403 error otherwise), and the
videoroom's ``create`` (with ``admin_key``), ``destroy`` (with the room's ``secret``),
``exists`` and ``list`` (private rooms not listed) requests and their error codes.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

API_SECRET = "test-api-secret"
ADMIN_KEY = "test-admin-key"


@dataclass
class FakeJanusState:
    sessions: dict[int, set[int]] = field(default_factory=dict)
    rooms: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _new_id() -> int:
    return secrets.randbelow(2**52) + 1


class FakeJanusHandler(BaseHTTPRequestHandler):
    state: FakeJanusState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        parts = [p for p in self.path.split("/") if p]
        if not parts or parts[0] != "janus":
            self.send_error(404)
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        transaction = request.get("transaction")
        with self.state.lock:
            self.state.requests.append({"path": self.path, **request})
            self._answer(self._handle(parts[1:], request, transaction))

    def _error(self, transaction: Any, code: int, reason: str, **extra: Any) -> dict[str, Any]:
        return {
            "janus": "error",
            **extra,
            "transaction": transaction,
            "error": {"code": code, "reason": reason},
        }

    def _handle(self, ids: list[str], request: dict[str, Any], transaction: Any) -> dict[str, Any]:
        if request.get("apisecret") != API_SECRET:
            return self._error(transaction, 403, "Unauthorized request (wrong or missing secret/token)")
        kind = request.get("janus")
        if not ids:
            if kind != "create":
                return self._error(transaction, 457, f"Unhandled request '{kind}' at this path")
            session = _new_id()
            self.state.sessions[session] = set()
            return {"janus": "success", "transaction": transaction, "data": {"id": session}}
        session = int(ids[0])
        if session not in self.state.sessions:
            return self._error(transaction, 458, f"No such session {session}", session_id=session)
        if len(ids) == 1:
            if kind == "attach":
                if request.get("plugin") != "janus.plugin.videoroom":
                    return self._error(transaction, 460, "No such plugin", session_id=session)
                handle = _new_id()
                self.state.sessions[session].add(handle)
                return {
                    "janus": "success",
                    "session_id": session,
                    "transaction": transaction,
                    "data": {"id": handle},
                }
            if kind == "destroy":
                del self.state.sessions[session]
                return {"janus": "success", "session_id": session, "transaction": transaction}
            return self._error(
                transaction, 457, f"Unhandled request '{kind}' at this path", session_id=session
            )
        handle = int(ids[1])
        if handle not in self.state.sessions[session]:
            return self._error(
                transaction, 459, f"No such handle {handle} in session {session}", session_id=session
            )
        data = self._videoroom(request.get("body") or {})
        return {
            "janus": "success",
            "session_id": session,
            "transaction": transaction,
            "sender": handle,
            "plugindata": {"plugin": "janus.plugin.videoroom", "data": data},
        }

    def _videoroom(self, body: dict[str, Any]) -> dict[str, Any]:
        request = body.get("request")
        if request == "create":
            if body.get("admin_key") is None:
                return {
                    "videoroom": "event",
                    "error_code": 429,
                    "error": "Missing mandatory element (admin_key)",
                }
            if body["admin_key"] != ADMIN_KEY:
                return {"videoroom": "event", "error_code": 433, "error": "Unauthorized (wrong admin_key)"}
            room = body.get("room") or _new_id()
            self.state.rooms[room] = dict(body)
            return {"videoroom": "created", "room": room, "permanent": False}
        if request == "destroy":
            room_id = body.get("room")
            room = self.state.rooms.get(room_id) if isinstance(room_id, int) else None
            if room is None:
                return {
                    "videoroom": "event",
                    "error_code": 426,
                    "error": f"No such room ({body.get('room')})",
                }
            if room.get("secret") and room["secret"] != body.get("secret"):
                return {"videoroom": "event", "error_code": 433, "error": "Unauthorized (wrong secret)"}
            del self.state.rooms[body["room"]]
            return {"videoroom": "destroyed", "room": body["room"], "permanent": False}
        if request == "exists":
            return {
                "videoroom": "success",
                "room": body.get("room"),
                "exists": body.get("room") in self.state.rooms,
            }
        if request == "list":
            listed = [
                {"room": r, "description": b.get("description", "")}
                for r, b in self.state.rooms.items()
                if not b.get("is_private")
            ]
            return {"videoroom": "success", "list": listed}
        return {"videoroom": "event", "error_code": 423, "error": f"Unknown request '{request}'"}


@contextmanager
def fake_janus() -> Iterator[tuple[str, FakeJanusState]]:
    """A fake Janus on a free local port: its API URL and its state."""
    state = FakeJanusState()
    handler = type("Handler", (FakeJanusHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/janus", state
    finally:
        server.shutdown()
        server.server_close()


def janus_binary() -> str | None:
    return shutil.which("janus")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def real_janus(*, signed_tokens: bool = False) -> Iterator[str]:
    """Debian's Janus with only the videoroom plugin and the HTTP transport, on a free port.

    ``signed_tokens``: Janus also accepts tokens signed with the API secret (``token_auth``
    with ``token_auth_secret``), which browsers get instead of the secret.
    """
    binary = janus_binary()
    assert binary is not None
    library = Path("/usr/lib/x86_64-linux-gnu/janus")
    if not library.exists():
        library = next(Path("/usr/lib").glob("*/janus"))
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="janus-") as directory:
        root = Path(directory)
        for sub, name in (("plugins", "libjanus_videoroom.so"), ("transports", "libjanus_http.so")):
            (root / sub).mkdir()
            (root / sub / name).symlink_to(library / sub / name)
        (root / "none").mkdir()
        (root / "janus.jcfg").write_text(
            "general: {\n"
            f'  configs_folder = "{root}"\n  plugins_folder = "{root / "plugins"}"\n'
            f'  transports_folder = "{root / "transports"}"\n  events_folder = "{root / "none"}"\n'
            f'  loggers_folder = "{root / "none"}"\n  api_secret = "{API_SECRET}"\n'
            + (f'  token_auth = true\n  token_auth_secret = "{API_SECRET}"\n' if signed_tokens else "")
            + "}\n"
            "media: {\n}\nnat: {\n}\nplugins: {\n}\ntransports: {\n}\nevents: {\n}\nloggers: {\n}\n"
        )
        (root / "janus.plugin.videoroom.jcfg").write_text(f'general: {{\n  admin_key = "{ADMIN_KEY}"\n}}\n')
        (root / "janus.transport.http.jcfg").write_text(
            "general: {\n"
            f'  json = "plain"\n  base_path = "/janus"\n  http = true\n  port = {port}\n'
            '  ip = "127.0.0.1"\n  https = false\n}\nadmin: {\n  admin_http = false\n}\n'
        )
        process = subprocess.Popen(
            [binary, "-F", str(root), "-C", str(root / "janus.jcfg"), "-N"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/janus"
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    urllib.request.urlopen(url + "/info", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("Janus did not start") from None
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
