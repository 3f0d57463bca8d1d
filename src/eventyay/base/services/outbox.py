"""Claiming outbox rows with a lease: the core of every outbox eventyay delivers from.

An outbox is a table of things to deliver (mails, and the same way webhook calls, campaign
messages, SMS or CMS pushes), each row written in the transaction of the change that causes
it. A Celery task delivers a row after that transaction commits, and a periodic sweep finds
the rows whose task never ran (the broker was down, a worker died) or whose delivery failed
and is due again. Any number of workers may look at the same row at the same time (a task is
redelivered, the sweep queues a row whose task is still waiting), so a worker first *claims*
the row with :func:`claim_due` and delivers only what it claimed.

The model needs one timestamp field (``next_attempt`` by default) that says when the row is
due: set it to ``timezone.now()`` when the row is written and to the time of the next try
after a failure. Claiming moves it to the end of the lease, so until then nobody else finds
the row due; a worker that dies mid-delivery leaves the row to come due again when its lease
runs out, and the sweep recovers it like any other due row. Clear the field (or filter the
row out by its status) once the row is delivered for good.

Delivery is at most once per claim, not exactly once: a worker that delivers and then dies
before recording it leaves a row that is delivered again after the lease. Keep that window
short: record the outcome in its own short transaction right after delivering, and make the
lease longer than a delivery can take (set timeouts on the network calls it makes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.db import connections, models, transaction
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def claim_due(
    queryset: models.QuerySet[M],
    *,
    lease: dt.timedelta,
    limit: int = 1,
    due_field: str = "next_attempt",
    now: dt.datetime | None = None,
    **changes: Any,
) -> list[M]:
    """Claim up to ``limit`` due rows of ``queryset`` for ``lease``; no other caller gets them.

    A row is due when its ``due_field`` is at or before ``now`` (default: the current time).
    Claimed rows get ``due_field = now + lease`` plus ``changes`` (field values or expressions,
    such as ``status="sending", attempts=F("attempts") + 1``) and are returned re-read, in primary key
    order. ``queryset`` narrows what may be claimed (a status, one primary key); it is
    re-applied when claiming, so a row that changed in between is not claimed.

    On PostgreSQL (and any database with ``SELECT ... FOR UPDATE SKIP LOCKED``) concurrent
    claimers lock disjoint rows and never wait for each other. Elsewhere (SQLite) each row is
    claimed by a conditional ``UPDATE`` that only succeeds while the row is still due, so of
    two claimers that read the same row only the first one gets it.
    """
    if limit < 1:
        return []
    now = now or timezone.now()
    due = queryset.filter(**{f"{due_field}__lte": now}).order_by(due_field, "pk")
    values = {due_field: now + lease, **changes}
    claimed: list[Any] = []
    with transaction.atomic(using=due.db):
        if connections[due.db].features.has_select_for_update_skip_locked:
            locked = due.select_for_update(skip_locked=True, of=("self",))
            claimed = list(locked.values_list("pk", flat=True)[:limit])
            if claimed:
                queryset.model._base_manager.using(due.db).filter(pk__in=claimed).update(**values)
        else:
            for pk in _due_pks(due, limit):
                if due.filter(pk=pk).update(**values) == 1:
                    claimed.append(pk)
    if not claimed:
        return []
    rows = queryset.model._base_manager.using(due.db).filter(pk__in=claimed).order_by("pk")
    return list(rows)


def _due_pks(due: models.QuerySet[Any], limit: int) -> list[Any]:
    # Candidates only: another claimer may take any of them before the conditional update.
    return list(due.values_list("pk", flat=True)[:limit])
