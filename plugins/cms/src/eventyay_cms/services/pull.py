"""Pulling pages and posts from a CMS into the event's public pages.

Each batch the adapter yields is written in one transaction (upsert by external id, unchanged
content hashes skipped); the kind's cursor moves only once that transaction committed, so a
sync that dies resumes after the last committed batch. A daily reconciliation over the
source's ids unpublishes what was deleted there, since a deletion never shows up as a change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from eventyay.base.services.cache import content_version_bump
from eventyay_cms.connectors.base import RemoteItem, content_hash
from eventyay_cms.models import Connection, PulledPage
from eventyay_cms.services.registry import adapter_for
from eventyay_cms.services.sanitize import plain_text, sanitize_html

logger = logging.getLogger(__name__)


@dataclass
class PullResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unpublished: int = 0
    batches: int = 0
    kinds: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unpublished": self.unpublished,
        }


def cursor_of(connection: Connection) -> dict[str, datetime]:
    return {kind: datetime.fromisoformat(value) for kind, value in (connection.cursor or {}).items()}


def _pushed_ids(connection: Connection) -> set[str]:
    """Objects this connection pushed itself: never pulled back as pages."""
    return set(connection.mappings.exclude(remote_id="").values_list("remote_id", flat=True))


def _free_slug(connection: Connection, wanted: str, page_pk: int | None) -> str:
    base = slugify(wanted)[:180] or "page"
    slug, number = base, 1
    taken = PulledPage.objects.filter(event_id=connection.event_id)
    if page_pk is not None:
        taken = taken.exclude(pk=page_pk)
    while taken.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _store(connection: Connection, items: Iterable[RemoteItem], result: PullResult) -> None:
    """Upsert ``items`` (call inside a transaction): one query reads the stored pages of the batch."""
    items = list(items)
    stored = {
        page.external_id: page
        for page in PulledPage.objects.select_for_update().filter(
            connection=connection, external_id__in=[item.external_id for item in items]
        )
    }
    now = timezone.now()
    for item in items:
        digest = content_hash(item.slug, item.title, item.html)
        page = stored.get(item.external_id)
        if page is not None and page.content_hash == digest and page.published:
            result.unchanged += 1
            continue
        if page is None:
            page = PulledPage(
                connection=connection, event_id=connection.event_id, external_id=item.external_id
            )
            result.created += 1
        else:
            result.updated += 1
        page.kind = item.kind
        page.title = plain_text(item.title)[:500] or item.slug
        page.html = sanitize_html(item.html)
        page.content_hash = digest
        page.remote_modified = item.modified
        page.published = True
        page.updated = now
        if not page.slug or slugify(item.slug)[:180] != page.slug:
            page.slug = _free_slug(connection, item.slug, page.pk)
        page.save()
        stored[item.external_id] = page


def pull(connection: Connection, *, progress: Callable[[int], None] | None = None) -> PullResult:
    """Pull what changed since the connection's cursors; returns what was written."""
    adapter = adapter_for(connection)
    result = PullResult()
    skip = _pushed_ids(connection)
    cursor = cursor_of(connection)
    for batch in adapter.list_changed(cursor):
        items = [item for item in batch if item.external_id not in skip]
        if not items and not batch:
            continue
        with transaction.atomic():
            _store(connection, items, result)
        # Committed: only now may the cursor pass these items.
        newest: dict[str, datetime] = {}
        for item in batch:
            if item.modified and (item.kind not in newest or item.modified > newest[item.kind]):
                newest[item.kind] = item.modified
        moved = {kind: when for kind, when in newest.items() if kind not in cursor or when > cursor[kind]}
        if moved:
            cursor.update(moved)
            connection.cursor = {kind: when.isoformat() for kind, when in cursor.items()}
            Connection.objects.filter(pk=connection.pk).update(cursor=connection.cursor)
        result.batches += 1
        if progress:
            progress(min(90, 10 + result.batches * 10))
    return result


def pull_one(connection: Connection, external_id: str) -> PullResult:
    """Pull one object again (an inbound webhook's notice); unpublish it if the source lost it."""
    result = PullResult()
    if external_id in _pushed_ids(connection):
        return result
    item = adapter_for(connection).get(external_id)
    with transaction.atomic():
        if item is None:
            result.unpublished = PulledPage.objects.filter(
                connection=connection, external_id=external_id, published=True
            ).update(published=False, updated=timezone.now())
            if result.unpublished:
                content_version_bump(connection.event_id)
        else:
            _store(connection, [item], result)
    return result


def reconcile(connection: Connection) -> int:
    """Unpublish pages whose source object is gone; returns how many."""
    ids = adapter_for(connection).list_ids()
    with transaction.atomic():
        gone = connection.pages.filter(published=True).exclude(external_id__in=ids)
        count = gone.update(published=False, updated=timezone.now())
        if count:
            content_version_bump(connection.event_id)
        Connection.objects.filter(pk=connection.pk).update(last_reconciled=timezone.now())
    if count:
        logger.info("CMS connection %s: %d pages unpublished, deleted at the source", connection.pk, count)
    return count
