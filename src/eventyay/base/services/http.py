"""The one client for requests to URLs that organizers typed: webhooks, and whatever plugins fetch.

An organizer can type any URL, so every request is guarded against server-side request forgery:

* The host name is resolved once; every address it resolves to must be public
  (:func:`address_is_public`), and the connection goes to exactly those checked addresses, so a
  DNS answer that changes between the check and the connection cannot reach an internal
  service. TLS still uses the host name for SNI and certificate verification, and the ``Host``
  header names the host.
* ``timeout`` bounds the whole request (connecting, sending, waiting and reading) across
  redirects; a receiver that answers slowly byte by byte is cut off.
* At most ``max_response_bytes`` of the body are read; the rest is never downloaded.
* Redirects are not followed unless asked for, and then each hop is checked like the first.

Instances whose targets live on a private network allow them with ``EVENTYAY_OUTGOING_ALLOW_PRIVATE``
(the older names ``outgoing_http_allow_private`` and ``webhooks_allow_private`` are still read).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json as jsonlib
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlencode, urljoin, urlsplit

import requests.utils
import urllib3.util.connection
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Timeout

import eventyay

#: Whole-request time limit when the caller gives none, in seconds.
DEFAULT_TIMEOUT_SECONDS = 10.0
#: Response body bytes read when the caller gives no limit.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
#: Redirect hops followed when redirects are allowed.
MAX_REDIRECTS = 5

_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_CHUNK_BYTES = 8192

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutgoingRequestError(Exception):
    """A request could not be made or answered; the message can be shown to organizers."""


class OutgoingRequestRefused(OutgoingRequestError):
    """The URL is not allowed: wrong scheme, unknown host, or an address that is not public."""


class OutgoingRequestFailed(OutgoingRequestError):
    """The request was allowed but did not get an answer: no connection, TLS error, timeout."""


@dataclass(frozen=True)
class OutgoingResponse:
    """What came back: the status, the headers and at most ``max_response_bytes`` of the body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    #: True when the receiver sent more than was read.
    truncated: bool
    #: The URL that answered (differs from the requested one after redirects).
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        """The body read so far as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


def private_targets_allowed() -> bool:
    return bool(getattr(settings, "OUTGOING_HTTP_ALLOW_PRIVATE", False))


def address_is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet (``is_global``, not multicast).

    IPv6 addresses that stand for an IPv4 address (IPv4-mapped, 6to4, NAT64) are judged by
    that IPv4 address; deprecated IPv4-compatible ones (``::a.b.c.d``) are never public.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_is_public(address.ipv4_mapped)
        if address.sixtofour is not None:
            return address_is_public(address.sixtofour)
        if address in _NAT64:
            return address_is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _IPV4_COMPATIBLE:
            return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class _Target:
    parts: SplitResult
    host: str
    port: int
    addresses: tuple[str, ...]


def _resolve(url: str) -> _Target:
    """Check ``url`` and resolve its host; the returned addresses are the only ones to connect to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutgoingRequestRefused(_("This is not a valid URL.")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutgoingRequestRefused(_("Only http:// and https:// URLs are allowed."))
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutgoingRequestRefused(_("The host name could not be resolved.")) from exc
    addresses: list[str] = []
    for info in infos:
        # A scoped IPv6 address ("fe80::1%eth0") is link-local: the scope never makes it public.
        literal = str(info[4][0]).split("%", 1)[0]
        if literal not in addresses:
            addresses.append(literal)
    if not addresses:
        raise OutgoingRequestRefused(_("The host name could not be resolved."))
    if not private_targets_allowed() and not all(
        address_is_public(ipaddress.ip_address(address)) for address in addresses
    ):
        raise OutgoingRequestRefused(_("Requests to local or private network addresses are not allowed."))
    return _Target(parts=parts, host=host, port=port, addresses=tuple(addresses))


def outgoing_url_problem(url: str) -> str | None:
    """Why ``url`` may not be requested (as a message for a form), or None when it may.

    For checking a URL when it is saved; :func:`outgoing_request` checks again on every request.
    """
    try:
        _resolve(url)
    except OutgoingRequestRefused as exc:
        return str(exc)
    return None


class _Deadline:
    """Cuts the connections of one request off when its time is up, wherever it is blocked."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._expires = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        left = self._expires - time.monotonic()
        if left <= 0:
            raise OutgoingRequestFailed(self.message())
        return left

    def message(self) -> str:
        return _("No complete answer within %(seconds)s seconds.") % {"seconds": f"{self.seconds:g}"}

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError(self.message())
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                # Already closed by its connection: nothing left to cut off.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _PinnedHTTPConnection(HTTPConnection):
    """Connects to the addresses that were checked, never resolving the host name again."""

    def __init__(self, *args: Any, addresses: Sequence[str], deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinned_addresses = addresses
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        error: OSError | None = None
        for address in self._pinned_addresses:
            try:
                sock = urllib3.util.connection.create_connection(
                    (address, self.port),
                    self._deadline.remaining(),
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                error = exc
                continue
            self._deadline.watch(sock)
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")


class _PinnedHTTPSConnection(_PinnedHTTPConnection, HTTPSConnection):
    """As the HTTP one; SNI and certificate verification use the host name of the URL."""


class _PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


def _encode_body(
    json: Any, data: bytes | str | Mapping[str, str] | None, headers: dict[str, str]
) -> bytes | None:
    if json is not None:
        headers.setdefault("Content-Type", "application/json")
        return jsonlib.dumps(json).encode()
    if isinstance(data, Mapping):
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return urlencode(data).encode()
    if isinstance(data, str):
        return data.encode()
    return data


def _read_body(response: BaseHTTPResponse, max_bytes: int) -> tuple[bytes, bool]:
    """At most ``max_bytes`` of the body, and whether there was more."""
    body = bytearray()
    while len(body) <= max_bytes:
        chunk = response.read(min(_CHUNK_BYTES, max_bytes + 1 - len(body)), decode_content=True)
        if not chunk:
            break
        body += chunk
    return bytes(body[:max_bytes]), len(body) > max_bytes


def _send_once(
    method: str,
    target: _Target,
    *,
    body: bytes | None,
    headers: dict[str, str],
    deadline: _Deadline,
    max_response_bytes: int,
) -> OutgoingResponse:
    pool_kwargs: dict[str, Any] = {
        "timeout": Timeout(connect=deadline.remaining(), read=deadline.remaining()),
        "retries": False,
        "maxsize": 1,
        "addresses": target.addresses,
        "deadline": deadline,
    }
    pool: HTTPConnectionPool
    if target.parts.scheme == "https":
        pool = _PinnedHTTPSConnectionPool(
            target.host,
            target.port,
            cert_reqs="CERT_REQUIRED",
            ca_certs=requests.utils.DEFAULT_CA_BUNDLE_PATH,
            **pool_kwargs,
        )
    else:
        pool = _PinnedHTTPConnectionPool(target.host, target.port, **pool_kwargs)
    path = target.parts.path or "/"
    if target.parts.query:
        path += "?" + target.parts.query
    with pool:
        response = pool.urlopen(
            method,
            path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            content, truncated = _read_body(response, max_response_bytes)
        finally:
            response.close()
    return OutgoingResponse(
        status=response.status,
        headers=HTTPHeaderDict(response.headers),
        body=content,
        truncated=truncated,
        url=target.parts.geturl(),
    )


def _redirected(
    response: OutgoingResponse, method: str, body: bytes | None, headers: dict[str, str]
) -> tuple[str, str, bytes | None, dict[str, str]]:
    """Where a redirect leads: URL, method, body and headers of the next hop."""
    url = urljoin(response.url, response.headers.get("location", ""))
    headers = dict(headers)
    if (response.status == 303 and method != "HEAD") or (response.status in (301, 302) and method == "POST"):
        method, body = "GET", None
        for name in [name for name in headers if name.lower() in ("content-type", "content-length")]:
            del headers[name]
    before, after = urlsplit(response.url), urlsplit(url)
    if (before.scheme, before.netloc) != (after.scheme, after.netloc):
        for name in [name for name in headers if name.lower() in ("authorization", "cookie")]:
            del headers[name]
    return url, method, body, headers


def outgoing_request(
    method: str,
    url: str,
    *,
    json: Any = None,
    data: bytes | str | Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    allow_redirects: bool = False,
) -> OutgoingResponse:
    """Send ``method`` to ``url`` with the SSRF guards of this module and return the answer.

    ``json`` is sent as JSON; ``data`` as it is (bytes or text) or form-encoded (a mapping).
    Any status is returned as a response; check :attr:`OutgoingResponse.ok`. Raises
    :class:`OutgoingRequestRefused` when the URL may not be requested and
    :class:`OutgoingRequestFailed` when no complete answer came within ``timeout`` seconds.
    """
    method = method.upper()
    request_headers = {
        "User-Agent": f"eventyay/{eventyay.__version__}",
        "Accept-Encoding": "identity",
        **(headers or {}),
    }
    body = _encode_body(json, data, request_headers)
    with _Deadline(timeout) as deadline:
        for _hop in range(MAX_REDIRECTS + 1):
            target = _resolve(url)
            try:
                response = _send_once(
                    method,
                    target,
                    body=body,
                    headers=request_headers,
                    deadline=deadline,
                    max_response_bytes=max_response_bytes,
                )
            except (HTTPError, OSError) as exc:
                if deadline.expired:
                    raise OutgoingRequestFailed(deadline.message()) from exc
                raise OutgoingRequestFailed(f"{type(exc).__name__}: {exc}") from exc
            if deadline.expired:
                raise OutgoingRequestFailed(deadline.message())
            if not (
                allow_redirects and response.status in _REDIRECT_STATUSES and "location" in response.headers
            ):
                return response
            url, method, body, request_headers = _redirected(response, method, body, request_headers)
    raise OutgoingRequestFailed(_("More than %(count)d redirects.") % {"count": MAX_REDIRECTS})
