"""Real server processes for tests: uvicorn serving the project's ASGI application.

The in-process test client skips the ASGI server (its body handling, websocket framing, keep-
alive) and shares the test's process, so a test that needs what a deployment runs starts one
or several uvicorn processes with :func:`asgi_server`. :func:`services_env` points a server at
the test database and Redis of the running session (services mode), so that the test and its
servers share data and the channel layer, as several app servers of one site do.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import requests

#: The websocket options of production (``eventyay.config.server.UvicornWorker``, ``make run``).
WEBSOCKET_OPTIONS = (
    "--ws",
    "websockets-sansio",
    "--ws-per-message-deflate",
    "false",
    "--ws-max-size",
    "65536",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any ``EVENTYAY_*`` setting: an embedded site in ``data_dir``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTYAY_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(EVENTYAY_DATA_DIR=str(data_dir), **extra)
    return env


def services_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server that uses this test session's database and Redis.

    Needs services mode (mark the test ``services``); the test must use
    ``django_db(transaction=True)`` so that the servers see its committed rows.
    """
    from django.conf import settings

    db = cast(dict[str, Any], settings.DATABASES["default"])
    user, password = db.get("USER") or "", db.get("PASSWORD") or ""
    return {
        **os.environ,
        "EVENTYAY_DB_URL": f"postgres://{user}:{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EVENTYAY_REDIS_URL": settings.REDIS_URL,
        "EVENTYAY_SECRET_KEY": settings.SECRET_KEY,
        "EVENTYAY_SITE_URL": settings.SITE_URL,
        "EVENTYAY_DATA_DIR": str(data_dir),
        **extra,
    }


@contextlib.contextmanager
def asgi_server(
    env: Mapping[str, str],
    *,
    log: Path,
    port: int | None = None,
    args: Sequence[str] = (),
    startup_timeout: float = 180,
) -> Iterator[str]:
    """Serve the application with uvicorn on ``127.0.0.1`` until the block ends; yields the base URL.

    The server writes to ``log``, whose text is in the failure message if it exits or does
    not answer ``/healthz`` within ``startup_timeout`` seconds (importing the application on
    a busy machine can take a while).
    """
    port = port or free_port()
    command = [sys.executable, "-m", "uvicorn", "eventyay.config.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off", *WEBSOCKET_OPTIONS, *args]
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as log_file:
        server = subprocess.Popen(command, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"uvicorn exited:\n{log.read_text()}")
                try:
                    if requests.get(f"{base}/healthz", timeout=60).status_code == 200:
                        break
                except requests.RequestException:
                    pass  # not listening yet, or still importing the application
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"uvicorn did not answer in {startup_timeout:.0f} s:\n{log.read_text()}"
                    )
                time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def pool_bound_wsgi_server(limit: int) -> type[Any]:
    """Django's live-server class, answering at most ``limit`` requests at once.

    Django's live server starts a thread per connection, all of them on the test process's
    database pool. A production process runs as many request threads as its pool has
    connections (``eventyay.config.asgi_handler``), so its requests queue for a thread and never
    wait out the pool. With more requests at once than connections, the test server would
    instead have requests give up on the pool when the machine stalls; this class makes the
    extra requests queue as production does. A slot is taken for the application call and given
    back when the response is closed, which is when Django returns the connection to the pool.
    """
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer

    class PoolBoundWSGIServer(ThreadedWSGIServer):
        def set_app(self, application: Any) -> None:
            slots = threading.BoundedSemaphore(limit)

            def bounded(environ: dict[str, Any], start_response: Any) -> Any:
                slots.acquire()
                try:
                    response = application(environ, start_response)
                except BaseException:
                    slots.release()
                    raise
                close = response.close

                def close_and_release() -> None:
                    try:
                        close()
                    finally:
                        slots.release()

                response.close = close_and_release
                return response

            super().set_app(bounded)

    return PoolBoundWSGIServer
