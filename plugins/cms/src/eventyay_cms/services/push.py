"""Pushing the schedule, sessions and speakers into a CMS through a coalescing outbox.

A change writes (or refreshes) one :class:`~eventyay_cms.models.OutboxEntry` per (connection,
resource); the Celery task :func:`eventyay_cms.tasks.cms_push` sends due rows, building each
payload from the current state, and backs off after failures. Creating a remote object is
crash-safe: the :class:`~eventyay_cms.models.PushMapping` with the deterministic slug is
committed first, and a mapping without a remote id looks the slug up before creating.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.models import Event
from eventyay_cms.connectors.base import ConnectorError, content_hash
from eventyay_cms.models import Connection, OutboxEntry, PushMapping, SyncLogEntry
from eventyay_cms.services.content import build_payload, resource_kind, resource_slug
from eventyay_cms.services.registry import adapter_for

logger = logging.getLogger(__name__)

#: The kind of remote object a resource becomes (WordPress: a page).
REMOTE_KIND = "page"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
LOCK_SECONDS = 600


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def enqueue(connection: Connection, resources: list[str]) -> None:
    """Mark ``resources`` to be pushed; an existing row is refreshed, never duplicated."""
    now = timezone.now()
    with transaction.atomic():
        for resource in resources:
            if resource_kind(resource) not in (connection.push or []):
                continue
            updated = OutboxEntry.objects.filter(connection=connection, resource=resource).update(
                queued=now, due=now, attempts=0, last_error=""
            )
            if not updated:
                try:
                    with transaction.atomic():
                        OutboxEntry.objects.create(
                            connection=connection, resource=resource, queued=now, due=now
                        )
                except IntegrityError:
                    # Another writer created the row meanwhile: it already stands for this change.
                    pass
    from eventyay_cms.tasks import cms_push

    connection_id = connection.pk
    transaction.on_commit(lambda: cms_push.delay(connection_id), robust=True)


def enqueue_for_event(event: Event, resources: list[str]) -> None:
    """Queue ``resources`` on every pushing connection of ``event`` (callers may hold no scope)."""
    with scopes_disabled():
        connections = list(Connection.objects.filter(event=event).exclude(push=[]))
        for connection in connections:
            enqueue(connection, resources)


def _log(connection: Connection, kind: str, message: str, resource: str = "") -> None:
    SyncLogEntry.objects.create(connection=connection, kind=kind, message=message[:2000], resource=resource)


def _record(mapping: PushMapping, remote_id: str, digest: str, modified: object) -> None:
    """Remember what the remote object is and what it holds now."""
    PushMapping.objects.filter(pk=mapping.pk).update(
        remote_id=remote_id, content_hash=digest, remote_modified=modified, pushed=timezone.now()
    )


def push_entry(connection: Connection, entry: OutboxEntry) -> str:
    """Send one outbox row; returns what happened (``pushed``, ``unchanged``, ``deleted``, ``skipped``)."""
    adapter = adapter_for(connection)
    event = connection.event
    # Committed before anything is created remotely: the slug survives a crash.
    mapping, _created = PushMapping.objects.get_or_create(
        connection=connection,
        resource=entry.resource,
        defaults={"slug": resource_slug(event, entry.resource)},
    )
    payload = build_payload(event, entry.resource)
    outcome = "pushed"
    if payload is None:
        if mapping.remote_id:
            adapter.delete(mapping.remote_id)
        mapping.delete()
        outcome = "deleted"
    else:
        digest = content_hash(payload.slug, payload.title, payload.html)
        remote_id = mapping.remote_id
        if remote_id and digest == mapping.content_hash:
            outcome = "unchanged"
        else:
            if remote_id:
                remote_modified = adapter.remote_modified(remote_id)
                if remote_modified is None:
                    remote_id = ""  # deleted in the CMS: create it again
                elif mapping.remote_modified and remote_modified > mapping.remote_modified:
                    if connection.conflict_policy == Connection.ConflictPolicy.SKIP_AND_ALERT:
                        _log(
                            connection,
                            SyncLogEntry.Kind.CONFLICT,
                            f"{entry.resource} was edited in the CMS after the last push; not overwritten.",
                            entry.resource,
                        )
                        outcome = "skipped"
                    else:
                        _log(
                            connection,
                            SyncLogEntry.Kind.CONFLICT,
                            f"{entry.resource} was edited in the CMS after the last push; eventyay's version replaced it.",
                            entry.resource,
                        )
            if outcome == "pushed":
                if not remote_id:
                    found = adapter.find(REMOTE_KIND, mapping.slug)
                    remote_id = found.external_id if found else ""
                ref = adapter.upsert(REMOTE_KIND, payload, remote_id or None)
                _record(mapping, ref.external_id, digest, ref.modified)
    # A change that arrived while this one was sent keeps its row (it is newer).
    OutboxEntry.objects.filter(pk=entry.pk, queued=entry.queued).delete()
    return outcome


def push_due(connection: Connection, *, limit: int = 200) -> dict[str, int]:
    """Send the connection's due outbox rows, one at a time; failures back off."""
    counts: dict[str, int] = {}
    lock = f"eventyay-cms-push-{connection.pk}"
    if not cache.add(lock, "1", LOCK_SECONDS):
        return counts  # another worker is pushing this connection
    try:
        due = list(
            OutboxEntry.objects.filter(connection=connection, due__lte=timezone.now()).order_by("due", "pk")[
                :limit
            ]
        )
        for entry in due:
            try:
                outcome = push_entry(connection, entry)
            except ConnectorError as exc:
                attempts = entry.attempts + 1
                OutboxEntry.objects.filter(pk=entry.pk).update(
                    attempts=attempts, due=timezone.now() + backoff(attempts), last_error=str(exc)[:2000]
                )
                _log(connection, SyncLogEntry.Kind.ERROR, f"{entry.resource}: {exc}", entry.resource)
                Connection.objects.filter(pk=connection.pk).update(last_error=str(exc)[:2000])
                outcome = "failed"
            counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        cache.delete(lock)
    return counts
