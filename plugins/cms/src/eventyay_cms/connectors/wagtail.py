"""Wagtail through its public, read-only API v2 (``/api/v2/pages/``): pull only."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from eventyay.base.services.http import OutgoingRequestError, OutgoingResponse, outgoing_request
from eventyay_cms.connectors.base import Adapter, ConnectorError, ConnectorType, RemoteItem

#: Wagtail's default ``WAGTAILAPI_LIMIT_MAX``: the most items a listing may ask for.
LIMIT = 20
OVERLAP = timedelta(minutes=5)
TIMEOUT_SECONDS = 30.0
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: The detail fields read as the page's HTML, the first one present wins.
BODY_FIELDS = ("body", "content", "intro")


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


class WagtailAdapter(Adapter):
    def _request(self, path: str, params: dict[str, Any] | None = None) -> OutgoingResponse:
        url = self.connection.base_url.rstrip("/") + "/api/v2/pages/" + path
        if params:
            url += "?" + urlencode(params)
        try:
            return outgoing_request(
                "GET",
                url,
                headers={"Accept": "application/json"},
                timeout=TIMEOUT_SECONDS,
                max_response_bytes=MAX_RESPONSE_BYTES,
            )
        except OutgoingRequestError as exc:
            raise ConnectorError(str(exc)) from exc

    def _json(self, response: OutgoingResponse) -> Any:
        if not response.ok or response.truncated:
            raise ConnectorError(_("Wagtail answered with status %(status)s.") % {"status": response.status})
        try:
            return json.loads(response.body)
        except ValueError as exc:
            raise ConnectorError(_("Wagtail did not answer with JSON.")) from exc

    def _listing(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            data = self._json(self._request("", {**params, "limit": LIMIT, "offset": offset}))
            yield from data["items"]
            offset += LIMIT
            if offset >= int(data["meta"]["total_count"]):
                return

    def _scan(self) -> dict[str, str]:
        """Every public page's id and type (the full scan; cheap: no bodies)."""
        return {
            f"page:{row['id']}": row["meta"]["type"]
            for row in self._listing({"fields": "-title,-html_url,-slug,-first_published_at"})
        }

    def _published_at(self, page_type: str) -> dict[str, datetime | None] | None:
        """``last_published_at`` of the pages of one type, or None when the type does not expose it."""
        response = self._request("", {"type": page_type, "fields": "_,id,last_published_at", "limit": 1})
        if response.status == 400:
            return None
        self._json(response)
        return {
            f"page:{row['id']}": _parse(row.get("last_published_at"))
            for row in self._listing({"type": page_type, "fields": "_,id,last_published_at"})
        }

    def test(self) -> str:
        data = self._json(self._request("", {"limit": 1, "fields": "_,id"}))
        return _("Wagtail answers: %(count)s public pages.") % {"count": data["meta"]["total_count"]}

    def list_changed(self, cursor: Mapping[str, datetime]) -> Iterator[list[RemoteItem]]:
        since = cursor.get("page")
        ids = self._scan()
        changed: list[tuple[datetime | None, str]] = []
        for page_type in sorted(set(ids.values())):
            published = self._published_at(page_type)
            for external_id, kind in ids.items():
                if kind != page_type:
                    continue
                when = published.get(external_id) if published is not None else None
                # Without a publication time (a type that does not expose it) the detail is
                # fetched and the content hash decides.
                if since is None or when is None or when >= since - OVERLAP:
                    changed.append((when, external_id))
        changed.sort(key=lambda pair: (pair[0] is not None, pair[0] or datetime.min, pair[1]))
        batch: list[RemoteItem] = []
        for _when, external_id in changed:
            item = self.get(external_id)
            if item is not None:
                batch.append(item)
            if len(batch) == LIMIT:
                yield batch
                batch = []
        if batch:
            yield batch

    def get(self, external_id: str) -> RemoteItem | None:
        kind, _sep, number = external_id.partition(":")
        if kind != "page" or not number.isdigit():
            return None
        response = self._request(f"{number}/")
        if response.status == 404:
            return None
        data = self._json(response)
        html = next((str(data[name]) for name in BODY_FIELDS if data.get(name)), "")
        meta = data.get("meta") or {}
        return RemoteItem(
            external_id=external_id,
            kind="page",
            slug=str(meta.get("slug") or number),
            title=str(data.get("title") or ""),
            html=html,
            modified=_parse(
                data.get("last_published_at")
                or meta.get("last_published_at")
                or meta.get("first_published_at")
            ),
        )

    def list_ids(self) -> set[str]:
        return set(self._scan())


WAGTAIL = ConnectorType(
    identifier="wagtail",
    label="Wagtail",
    capabilities=frozenset({"pull_pages", "inbound_webhook"}),
    adapter=WagtailAdapter,
    needs_credentials=False,
)
