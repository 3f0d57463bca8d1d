"""WordPress through its REST API (``/wp-json/wp/v2/``), authenticated with an application password.

Sites without pretty permalinks serve the API only at ``/?rest_route=/wp/v2/``; their
``/wp-json/`` is the front page or a 404. When ``/wp-json/`` does not answer with JSON, the
request is sent again that way, and the site is remembered as one that needs it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.utils.translation import gettext as _

from eventyay.base.services.http import OutgoingRequestError, OutgoingResponse, outgoing_request
from eventyay_cms.connectors.base import (
    Adapter,
    ConnectorError,
    ConnectorType,
    PushPayload,
    RemoteItem,
    RemoteRef,
)

#: Items per request; the most WordPress hands out.
PER_PAGE = 100
#: The cursor is moved back by this much, so an item saved while a sync ran is not missed.
OVERLAP = timedelta(minutes=5)
TIMEOUT_SECONDS = 30.0
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Our kinds and the REST collection of each.
COLLECTIONS = {"page": "pages", "post": "posts"}
_FIELDS = "id,slug,title,content,modified_gmt,status"
#: How long a site is remembered as answering at ``?rest_route=`` only.
QUERY_ROUTE_SECONDS = 24 * 3600


def _is_json(response: OutgoingResponse) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return content_type.split(";")[0].strip().lower() == "application/json"


def _parse_gmt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class WordPressAdapter(Adapter):
    def _url(self, path: str, params: dict[str, Any] | None = None, *, query_route: bool = False) -> str:
        base = self.connection.base_url.rstrip("/")
        if query_route:
            return base + "/?" + urlencode({"rest_route": "/wp/v2/" + path, **(params or {})})
        url = base + "/wp-json/wp/v2/" + path
        return url + ("?" + urlencode(params) if params else "")

    def _query_route_key(self) -> str:
        digest = hashlib.sha256(self.connection.base_url.rstrip("/").encode()).hexdigest()
        return f"eventyay-cms-wordpress-query-route-{digest}"

    def _headers(self) -> dict[str, str]:
        username, password = self.connection.credentials()
        if not username:
            return {}
        token = base64.b64encode(f"{username}:{password.reveal()}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def _send(
        self, method: str, path: str, params: dict[str, Any] | None, query_route: bool, **kwargs: Any
    ) -> OutgoingResponse:
        try:
            return outgoing_request(
                method,
                self._url(path, params, query_route=query_route),
                headers={"Accept": "application/json", **self._headers()},
                timeout=TIMEOUT_SECONDS,
                max_response_bytes=MAX_RESPONSE_BYTES,
                **kwargs,
            )
        except OutgoingRequestError as exc:
            raise ConnectorError(str(exc)) from exc

    def _request(
        self, method: str, path: str, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> OutgoingResponse:
        query_route = bool(cache.get(self._query_route_key()))
        response = self._send(method, path, params, query_route, **kwargs)
        if not query_route and not _is_json(response):
            # No pretty permalinks: /wp-json/ is no route of this site, ?rest_route= is.
            retry = self._send(method, path, params, True, **kwargs)
            if _is_json(retry):
                cache.set(self._query_route_key(), True, QUERY_ROUTE_SECONDS)
                response = retry
        if self._refused(response):
            raise ConnectorError(_("WordPress refused the user name or application password."))
        if response.truncated:
            raise ConnectorError(_("WordPress sent a larger answer than eventyay reads."))
        return response

    def _refused(self, response: OutgoingResponse) -> bool:
        if response.status in (401, 403):
            return True
        if response.status != 400 or not self._headers():
            return False
        # WordPress serves a request with a wrong application password as a visitor's, and a
        # visitor may not ask for drafts: the only way our status parameter is refused.
        try:
            data = json.loads(response.body)
        except ValueError:
            return False
        params = (data.get("data") or {}).get("params") if isinstance(data, dict) else None
        return isinstance(params, dict) and set(params) == {"status"}

    def _reading(self, params: dict[str, Any]) -> dict[str, Any]:
        """Reads with credentials ask for the editor's view: WordPress answers 401 when the
        application password is wrong instead of serving the public view."""
        return {**params, "context": "edit"} if self._headers() else params

    def _json(self, response: OutgoingResponse) -> Any:
        if not response.ok:
            raise ConnectorError(
                _("WordPress answered with status %(status)s.") % {"status": response.status}
            )
        try:
            return json.loads(response.body)
        except ValueError as exc:
            raise ConnectorError(_("WordPress did not answer with JSON.")) from exc

    def _item(self, kind: str, data: dict[str, Any]) -> RemoteItem:
        return RemoteItem(
            external_id=f"{kind}:{data['id']}",
            kind=kind,
            slug=str(data.get("slug") or data["id"]),
            title=str((data.get("title") or {}).get("rendered", "")),
            html=str((data.get("content") or {}).get("rendered", "")),
            modified=_parse_gmt(data.get("modified_gmt")),
        )

    def _kinds(self) -> list[str]:
        return [kind for kind in ("page", "post") if COLLECTIONS[kind] in self.connection.pull]

    def _pages(self, collection: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection listing, following ``X-WP-TotalPages``."""
        number, total = 1, 1
        while number <= total:
            response = self._request("GET", collection, {**params, "per_page": PER_PAGE, "page": number})
            rows = self._json(response)
            total = int(response.headers.get("X-WP-TotalPages") or 1)
            yield rows
            number += 1

    def test(self) -> str:
        if not self._headers():
            self._json(self._request("GET", "pages", {"per_page": 1, "_fields": "id"}))
            return _("WordPress answers (no user name given: public content only).")
        data = self._json(self._request("GET", "users/me", {"_fields": "id,name"}))
        return _("Connected to WordPress as %(name)s.") % {"name": data.get("name", "?")}

    def list_changed(self, cursor: Mapping[str, datetime]) -> Iterator[list[RemoteItem]]:
        for kind in self._kinds():
            params: dict[str, Any] = self._reading(
                {"orderby": "modified", "order": "asc", "_fields": _FIELDS}
            )
            if kind in cursor:
                params["modified_after"] = (
                    (cursor[kind] - OVERLAP).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
                )
            for rows in self._pages(COLLECTIONS[kind], params):
                yield [self._item(kind, row) for row in rows]

    def get(self, external_id: str) -> RemoteItem | None:
        kind, _sep, number = external_id.partition(":")
        if kind not in COLLECTIONS or not number.isdigit():
            return None
        response = self._request("GET", f"{COLLECTIONS[kind]}/{number}", self._reading({"_fields": _FIELDS}))
        if response.status in (404, 410):
            return None
        data = self._json(response)
        if data.get("status") not in (None, "publish"):
            return None
        return self._item(kind, data)

    def list_ids(self) -> set[str]:
        ids: set[str] = set()
        for kind in self._kinds():
            for rows in self._pages(COLLECTIONS[kind], self._reading({"_fields": "id"})):
                ids.update(f"{kind}:{row['id']}" for row in rows)
        return ids

    def _ref(self, kind: str, data: dict[str, Any]) -> RemoteRef:
        return RemoteRef(external_id=f"{kind}:{data['id']}", modified=_parse_gmt(data.get("modified_gmt")))

    def upsert(self, kind: str, payload: PushPayload, external_id: str | None) -> RemoteRef:
        body = {"title": payload.title, "content": payload.html, "slug": payload.slug, "status": "publish"}
        path = COLLECTIONS[kind]
        if external_id is not None:
            path += "/" + external_id.partition(":")[2]
        return self._ref(kind, self._json(self._request("POST", path, json=body)))

    def find(self, kind: str, slug: str) -> RemoteRef | None:
        rows = self._json(
            self._request(
                "GET",
                COLLECTIONS[kind],
                {"slug": slug, "status": "publish,draft", "_fields": "id,modified_gmt"},
            )
        )
        return self._ref(kind, rows[0]) if rows else None

    def delete(self, external_id: str) -> None:
        kind, _sep, number = external_id.partition(":")
        response = self._request("DELETE", f"{COLLECTIONS[kind]}/{number}", {"force": "true"})
        if response.status not in (404, 410):
            self._json(response)


WORDPRESS = ConnectorType(
    identifier="wordpress",
    label="WordPress",
    capabilities=frozenset({"pull_pages", "pull_posts", "push_schedule", "push_speakers", "inbound_webhook"}),
    adapter=WordPressAdapter,
)
