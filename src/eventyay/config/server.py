"""The ASGI server settings eventyay is measured and deployed with.

uvicorn's defaults compress every websocket frame (permessage-deflate). A chat broadcast to
thousands of sockets is then compressed once per socket, which costs more than the rest of its
delivery together (see ``bench/README.md``, websocket chat fan-out), while the frames are short
JSON that gains little. The sans-I/O websockets implementation is the cheaper one per frame, and
a frame size limit keeps one client from making the server buffer megabytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

from gunicorn.arbiter import Arbiter
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker as _UvicornWorker

from eventyay.config.balance import ConnectionShare, ShedOverShare

#: Options for ``uvicorn.Config``; ``make run`` passes the same ones on the command line.
UVICORN_OPTIONS: dict[str, Any] = {
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    "ws_max_size": 64 * 1024,
}


#: The workers' HTTP connection counts. Mapped here, at import in gunicorn's master (which loads
#: the worker class before it forks), so that every worker shares the same memory.
CONNECTIONS = ConnectionShare()

#: Seconds between two publications of a worker's connection count.
PUBLISH_EVERY = 0.05


class UvicornWorker(_UvicornWorker):
    """gunicorn worker class: uvicorn with eventyay's websocket settings, warmed up before
    serving, keeping its share of keep-alive connections even (:mod:`eventyay.config.balance`)."""

    CONFIG_KWARGS: dict[str, Any] = {**_UvicornWorker.CONFIG_KWARGS, **UVICORN_OPTIONS}

    def run(self) -> None:
        # gunicorn has loaded the application; the worker accepts no connection before this
        # returns, so the other workers take the requests meanwhile.
        from eventyay.config.warmup import freeze_heap, warm_up

        warm_up()
        freeze_heap()
        super().run()

    async def _serve(self) -> None:
        CONNECTIONS.claim(hint=self.age)
        self.config.app = ShedOverShare(self.wsgi, CONNECTIONS)
        server = Server(config=self.config)
        self._install_sigquit_handler()
        publisher = asyncio.create_task(_publish_connections(server))
        try:
            await server.serve(sockets=self.sockets)
        finally:
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
            CONNECTIONS.release()
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)


async def _publish_connections(server: Server) -> None:
    while True:
        CONNECTIONS.publish(
            sum(
                1
                for protocol in server.server_state.connections
                if isinstance(protocol, HttpToolsProtocol | H11Protocol)
            )
        )
        await asyncio.sleep(PUBLISH_EVERY)
