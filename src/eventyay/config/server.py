"""The ASGI server settings eventyay is measured and deployed with.

uvicorn's defaults compress every websocket frame (permessage-deflate). A chat broadcast to
thousands of sockets is then compressed once per socket, which costs more than the rest of its
delivery together (see ``bench/README.md``, websocket chat fan-out), while the frames are short
JSON that gains little. The sans-I/O websockets implementation is the cheaper one per frame, and
a frame size limit keeps one client from making the server buffer megabytes.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker as _UvicornWorker

#: Options for ``uvicorn.Config``; ``make run`` passes the same ones on the command line.
UVICORN_OPTIONS: dict[str, Any] = {
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    "ws_max_size": 64 * 1024,
}


class UvicornWorker(_UvicornWorker):
    """gunicorn worker class: uvicorn with eventyay's websocket settings, warmed up before serving."""

    CONFIG_KWARGS: dict[str, Any] = {**_UvicornWorker.CONFIG_KWARGS, **UVICORN_OPTIONS}

    def run(self) -> None:
        # gunicorn has loaded the application; the worker accepts no connection before this
        # returns, so the other workers take the requests meanwhile.
        from eventyay.config.warmup import warm_up

        warm_up()
        super().run()
