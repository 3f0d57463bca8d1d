"""Celery tasks: take ids, re-load inside the worker, open the tenant scope, call a service."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay_cms.connectors.base import ConnectorError
from eventyay_cms.models import Connection, OutboxEntry

logger = logging.getLogger(__name__)


def _connection(connection_id: int) -> Connection | None:
    with scopes_disabled():
        return Connection.objects.select_related("event__organizer").filter(pk=connection_id).first()


@shared_task(name="eventyay_cms.tasks.cms_push", ignore_result=True)
def cms_push(connection_id: int) -> None:
    """Send the connection's due outbox rows (rows that fail are retried by the sweep, with backoff)."""
    from eventyay_cms.services.push import push_due

    connection = _connection(connection_id)
    if connection is None:
        return
    with scope(organizer=connection.event.organizer):
        push_due(connection)


@shared_task(name="eventyay_cms.tasks.cms_pull_one", ignore_result=True)
def cms_pull_one(connection_id: int, external_id: str) -> None:
    """Pull the one object an inbound webhook named."""
    from eventyay_cms.models import SyncLogEntry
    from eventyay_cms.services.pull import pull_one

    connection = _connection(connection_id)
    if connection is None:
        return
    with scope(organizer=connection.event.organizer):
        try:
            pull_one(connection, external_id)
        except ConnectorError as exc:
            SyncLogEntry.objects.create(
                connection=connection, kind=SyncLogEntry.Kind.ERROR, message=f"{external_id}: {exc}"[:2000]
            )


@shared_task(name="eventyay_cms.tasks.cms_sweep", ignore_result=True)
def cms_sweep() -> None:
    """Queue pushes for due outbox rows and the daily reconciliation of pulling connections."""
    now = timezone.now()
    with scopes_disabled():
        due = set(OutboxEntry.objects.filter(due__lte=now).values_list("connection_id", flat=True).distinct())
        stale = list(
            Connection.objects.exclude(pull=[])
            .filter(last_reconciled__lt=now - timedelta(days=1))
            .values_list("pk", flat=True)
        )
    for connection_id in due:
        cms_push.delay(connection_id)
    for connection_id in stale:
        cms_reconcile.delay(connection_id)


@shared_task(name="eventyay_cms.tasks.cms_reconcile", ignore_result=True)
def cms_reconcile(connection_id: int) -> None:
    from eventyay_cms.services.pull import reconcile

    connection = _connection(connection_id)
    if connection is None:
        return
    with scope(organizer=connection.event.organizer):
        try:
            reconcile(connection)
        except ConnectorError as exc:
            logger.warning("CMS connection %s: reconciliation failed: %s", connection_id, exc)
