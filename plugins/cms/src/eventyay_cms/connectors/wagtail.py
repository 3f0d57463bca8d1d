"""Wagtail: pull through its public, read-only API v2 (``/api/v2/pages/``), push through the companion.

Pushing needs :mod:`eventyay_cms.wagtail_companion` installed in the Wagtail project at
``/eventyay-companion/`` and its secret stored as the connection's password; every request to
it is signed like eventyay's inbound webhooks (HMAC-SHA256 of ``"<timestamp>." + body``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from eventyay.base.services.http import OutgoingRequestError, OutgoingResponse, outgoing_request
from eventyay_cms.connectors.base import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Adapter,
    ConnectorError,
    ConnectorType,
    PushPayload,
    RemoteItem,
    RemoteRef,
    sign,
)

#: Wagtail's default ``WAGTAILAPI_LIMIT_MAX``: the most items a listing may ask for.
LIMIT = 20
OVERLAP = timedelta(minutes=5)
TIMEOUT_SECONDS = 30.0
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: The detail fields read as the page's HTML, the first one present wins.
BODY_FIELDS = ("body", "content", "intro")
#: Where the Wagtail project includes the companion's URLs.
COMPANION_PATH = "/eventyay-companion/"


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
        text = _("Wagtail answers: %(count)s public pages.") % {"count": data["meta"]["total_count"]}
        if self.connection.password:
            companion = self._companion("ping") or {}
            text += " " + _(
                "The companion accepts the secret and writes %(model)s pages under page %(parent)s."
            ) % {
                "model": companion.get("model", "?"),
                "parent": companion.get("parent", "?"),
            }
        return text

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

    # --- push, through the companion ---------------------------------------------------------

    def _companion(self, action: str, **data: Any) -> dict[str, Any] | None:
        """Send one signed action; the page it answers with, or ``None`` for a 404."""
        secret = self.connection.credentials()[1].reveal()
        if not secret:
            raise ConnectorError(
                _("Pushing into Wagtail needs the companion secret as the connection's password.")
            )
        body = json.dumps({"action": action, "nonce": secrets.token_hex(8), **data}).encode()
        stamp = str(int(time.time()))
        try:
            response = outgoing_request(
                "POST",
                self.connection.base_url.rstrip("/") + COMPANION_PATH,
                headers={
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                    TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: sign(secret, stamp, body),
                },
                data=body,
                timeout=TIMEOUT_SECONDS,
                max_response_bytes=MAX_RESPONSE_BYTES,
            )
        except OutgoingRequestError as exc:
            raise ConnectorError(str(exc)) from exc
        if response.status == 403:
            raise ConnectorError(
                _("The Wagtail companion refused the signature: check its secret and the server clocks.")
            )
        if response.status == 404:
            try:
                answer = json.loads(response.body)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and "error" in answer:
                return None
            raise ConnectorError(_("No Wagtail companion answers at %(path)s.") % {"path": COMPANION_PATH})
        if response.status == 400:
            raise ConnectorError(
                _("The Wagtail companion refused the page: %(errors)s")
                % {"errors": response.body.decode(errors="replace")[:500]}
            )
        data_out: dict[str, Any] = self._json(response)
        return data_out

    def _ref(self, page: dict[str, Any]) -> RemoteRef:
        return RemoteRef(external_id=f"page:{page['id']}", modified=_parse(page.get("modified")))

    @staticmethod
    def _number(external_id: str) -> int:
        kind, _sep, number = external_id.partition(":")
        if kind != "page" or not number.isdigit():
            raise ConnectorError(_("Not a Wagtail page id: %(id)s") % {"id": external_id})
        return int(number)

    def upsert(self, kind: str, payload: PushPayload, external_id: str | None) -> RemoteRef:
        number = self._number(external_id) if external_id is not None else None
        fields = {**payload.extra, "body": payload.html}
        page = self._companion("upsert", id=number, slug=payload.slug, title=payload.title, fields=fields)
        if page is None:
            # Deleted in Wagtail since the last push: create it again under the parent.
            page = self._companion("upsert", id=None, slug=payload.slug, title=payload.title, fields=fields)
        if page is None:
            raise ConnectorError(_("The Wagtail companion did not create the page."))
        return self._ref(page)

    def find(self, kind: str, slug: str) -> RemoteRef | None:
        page = self._companion("find", slug=slug)
        return self._ref(page) if page else None

    def remote_modified(self, external_id: str) -> datetime | None:
        """The newest publication or revision (a draft saved in Wagtail counts as an edit)."""
        page = self._companion("state", id=self._number(external_id))
        return _parse(page.get("modified")) if page else None

    def delete(self, external_id: str) -> None:
        self._companion("delete", id=self._number(external_id))


WAGTAIL = ConnectorType(
    identifier="wagtail",
    label="Wagtail",
    # Pushing also needs the companion secret (the connection's password).
    capabilities=frozenset({"pull_pages", "push_schedule", "push_speakers", "inbound_webhook"}),
    adapter=WagtailAdapter,
    needs_credentials=False,
    push_needs_password=True,
)
