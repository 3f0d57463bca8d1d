"""Which websocket handshakes reach the plugins' consumers.

Browsers send an ``Origin`` header with every websocket handshake, and a page of another site
could otherwise open a socket that carries the visitor's cookies (cross-site websocket
hijacking): those origins must be one of ``ALLOWED_HOSTS``. Programs that are not browsers
(bots, venueless-era clients, load generators) send no ``Origin``; they cannot borrow anyone's
cookies, and the consumers let them do nothing before they authenticate with a token in the
protocol, so their handshake is accepted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from channels.security.websocket import AllowedHostsOriginValidator


async def refuse_handshake(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Refuse a websocket handshake: the server answers it with HTTP 403.

    Channels' own ``WebsocketDenier`` is a consumer, and a consumer opens a channel of the
    channel layer and waits on it (a blocking Redis read) for as long as it lives. A refused
    handshake needs none of that, so a flood of them costs the channel layer nothing.
    """
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


class BrowserOriginValidator:
    """Validate the ``Origin`` of browser handshakes; let handshakes without one through."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.origins = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = next((value for name, value in scope.get("headers", []) if name == b"origin"), None)
        if origin is None:
            return await self.application(scope, receive, send)
        try:
            parsed_origin = urlparse(origin.decode("latin1"))
        except ValueError:
            parsed_origin = None
        if parsed_origin is not None and self.origins.valid_origin(parsed_origin):
            return await self.application(scope, receive, send)
        return await refuse_handshake(scope, receive, send)
