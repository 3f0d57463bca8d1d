"""Reading another system's REST API (pretix, pretalx) for the importers.

Every request goes through the SSRF-guarded client of :mod:`eventyay.base.services.http`, so an
organizer who types the URL of an internal service gets a refusal, not its answers (instances
whose sources live on a private network allow that with ``outgoing_http_allow_private``).

The source is somebody else's server under load while an import runs, so:

* connection errors, time-outs and 5xx answers are retried with exponential backoff;
* HTTP 429 is answered by waiting as long as ``Retry-After`` says (seconds or an HTTP date);
* response bodies are capped, and a page that does not fit is an error, never half a page;
* DRF-style pages are followed through ``next`` only while it stays on the source's host, so a
  tampered ``next`` cannot carry the token elsewhere.

The token goes only into the ``Authorization`` header of requests to the source's own origin;
it is never part of a message, a log line or ``repr``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from eventyay.base.services.http import (
    OutgoingRequestFailed,
    OutgoingRequestRefused,
    OutgoingResponse,
    outgoing_request,
)

logger = logging.getLogger(__name__)

#: Largest JSON answer read (one page of results), in bytes.
MAX_JSON_BYTES = 20 * 1024 * 1024
#: Largest file read with :meth:`SourceAPI.get_bytes` (invoice PDFs, avatars), in bytes.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Time limit of one request, in seconds.
REQUEST_TIMEOUT_SECONDS = 60.0
#: Longest wait honoured from a ``Retry-After`` header, in seconds; a source that asks for more
#: is treated as unavailable rather than stalling the import for hours.
MAX_RETRY_AFTER_SECONDS = 300.0
#: The first backoff after a transient error, in seconds; it doubles with each retry.
BACKOFF_BASE_SECONDS = 1.0


class SourceAPIError(Exception):
    """The source could not be read; the message can be shown to organizers as it is."""

    def __init__(self, message: str, *, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.url = url


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _retry_after_seconds(value: str | None) -> float | None:
    """The wait a ``Retry-After`` header asks for, or None when it has none we understand."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class SourceAPI:
    """A client for one source's REST API, authenticated with ``<auth_scheme> <token>``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        auth_scheme: str = "Token",
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceAPIError(_("The URL must start with http:// or https://."), url=base_url)
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.base_url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        self._token = token
        self._auth_scheme = auth_scheme
        self.max_retries = max_retries
        self._sleep = sleep
        #: The ``count`` of the list :meth:`iter_results` read last (for progress), if it gave one.
        self.last_count: int | None = None

    def __repr__(self) -> str:
        return f"<SourceAPI {self.base_url}>"

    def url(self, path_or_url: str, params: Mapping[str, str] | None = None) -> str:
        """The absolute URL of ``path_or_url`` (relative to the base URL) with ``params`` added."""
        url = urljoin(self.base_url, path_or_url.lstrip("/")) if "://" not in path_or_url else path_or_url
        if params:
            url += ("&" if urlsplit(url).query else "?") + urlencode(params)
        return url

    def _same_origin(self, url: str) -> bool:
        return _origin(url) == _origin(self.base_url)

    def _request(self, url: str, *, accept: str, max_bytes: int) -> OutgoingResponse:
        headers = {"Accept": accept}
        if self._same_origin(url):
            headers["Authorization"] = f"{self._auth_scheme} {self._token}"
        attempt = 0
        while True:
            problem: str
            status: int | None = None
            wait: float | None = None
            try:
                response = outgoing_request(
                    "GET",
                    url,
                    headers=headers,
                    timeout=REQUEST_TIMEOUT_SECONDS,
                    max_response_bytes=max_bytes,
                    allow_redirects=True,
                )
            except OutgoingRequestRefused as exc:
                raise SourceAPIError(str(exc), url=url) from exc
            except OutgoingRequestFailed as exc:
                problem = str(exc)
            else:
                status = response.status
                if response.ok:
                    if response.truncated:
                        raise SourceAPIError(
                            _("The answer is larger than %(size)d MB.") % {"size": max_bytes // 2**20},
                            status=status,
                            url=url,
                        )
                    return response
                if status == 429:
                    wait = _retry_after_seconds(response.headers.get("Retry-After"))
                    if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
                        raise SourceAPIError(
                            _("The source asks to wait %(seconds)d seconds before the next request.")
                            % {"seconds": wait},
                            status=status,
                            url=url,
                        )
                    problem = _("Too many requests (HTTP 429).")
                elif status >= 500:
                    problem = _("The source failed (HTTP %(status)d).") % {"status": status}
                else:
                    raise SourceAPIError(self._refusal_message(status), status=status, url=url)
            if attempt >= self.max_retries:
                raise SourceAPIError(
                    _("%(problem)s Gave up after %(count)d attempts.")
                    % {"problem": problem, "count": attempt + 1},
                    status=status,
                    url=url,
                )
            if wait is None:
                wait = BACKOFF_BASE_SECONDS * 2**attempt
            logger.info("Source request to %s failed (%s); retrying in %.1f s", url, problem, wait)
            self._sleep(wait)
            attempt += 1

    @staticmethod
    def _refusal_message(status: int) -> str:
        if status == 401:
            return _("The source did not accept the token (HTTP 401).")
        if status == 403:
            return _("The token may not read this (HTTP 403).")
        if status == 404:
            return _("Not found at the source (HTTP 404): check the URL and the event.")
        return _("The source answered with HTTP %(status)d.") % {"status": status}

    def get(self, path_or_url: str, params: Mapping[str, str] | None = None) -> Any:
        """The parsed JSON answer for ``path_or_url`` (relative to the base URL, or absolute)."""
        url = self.url(path_or_url, params)
        response = self._request(url, accept="application/json", max_bytes=MAX_JSON_BYTES)
        try:
            return json.loads(response.body)
        except ValueError as exc:
            raise SourceAPIError(
                _("The source did not answer with JSON: is this the URL of its API?"),
                status=response.status,
                url=url,
            ) from exc

    def iter_results(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, page after page, following ``next``."""
        url: str | None = self.url(path, params)
        while url:
            page = self.get(url)
            if isinstance(page, list):
                # Some endpoints are not paginated: the list is all there is.
                yield from page
                return
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise SourceAPIError(_("The source answered with something other than a list."), url=url)
            if isinstance(page.get("count"), int):
                self.last_count = page["count"]
            yield from page["results"]
            next_url = page.get("next")
            if next_url:
                next_url = urljoin(url, str(next_url))
                if not self._same_origin(next_url):
                    raise SourceAPIError(
                        _("The source's next page is on another host; refusing to follow it."),
                        url=next_url,
                    )
            url = next_url or None

    def get_bytes(self, path_or_url: str) -> bytes:
        """The body of ``path_or_url`` as it is (files such as PDFs); the token only goes to the source."""
        url = self.url(path_or_url)
        return self._request(url, accept="*/*", max_bytes=MAX_FILE_BYTES).body
