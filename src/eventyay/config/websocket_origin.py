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

from channels.security.websocket import AllowedHostsOriginValidator


class BrowserOriginValidator:
    """Validate the ``Origin`` of browser handshakes; let handshakes without one through."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.validated = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if not any(name == b"origin" for name, _value in scope.get("headers", [])):
            return await self.application(scope, receive, send)
        return await self.validated(scope, receive, send)
