"""Deferred effects: what a write causes besides its rows, carried out after it commits.

A request that changes something important (an order placed, a payment confirmed) usually
also writes an audit log entry, queues webhook deliveries and a mail, and calls plugin hooks.
Doing all that inside the request makes the request slower by a handful of statements and
look-ups, and doing it after the commit in the request risks an error after the change is
already made. Instead the write records its effects as **one row** in its own transaction::

    from eventyay.plugin_api import defer, register_effect


    @register_effect("badges.printed")
    def badge_printed(effect):
        # Runs in a worker, in the transaction that deletes the row: once per row.
        badge = Badge.objects.get(pk=effect.payload["badge"])
        log_action(action="badges.badge.printed", organizer=badge.event.organizer, obj=badge)


    with transaction.atomic():
        badge.printed = True
        badge.save()
        defer("badges.printed", {"badge": badge.pk}, event=badge.event)

After the commit a worker carries the row out: it takes the row with ``SELECT ... FOR UPDATE
SKIP LOCKED`` (concurrent workers take disjoint rows and never wait for each other), calls the
handler registered for its ``kind`` in a savepoint, and deletes the row in the same
transaction. Effects that are rows themselves (log entries, webhook deliveries, outgoing mails)
therefore happen exactly once per deferred row: either the handler's writes and the deletion
commit together, or neither does and the row is tried again later. Work outside the database
(a plugin hook, an HTTP call) should be started with ``transaction.on_commit`` inside the
handler, or be safe to repeat.

Nothing written here is ever in the way of the request: a rolled-back write leaves no row, the
fan-out is started by ``transaction.on_commit(..., robust=True)``, and anything failing after
the commit is logged, never raised. How the fan-out starts:

- Embedded mode (Celery tasks run eagerly): the rows of the transaction are carried out in the
  same process right after the commit.
- With a broker: the first committed row starts one Celery task, which drains every due row in
  batches; rows committed while that task runs are picked up by it (a short-lived cache key
  says that a task is under way, so a rush of orders queues one task, not one per order).
- A periodic sweep (Celery beat, every minute) carries out rows whose task never came: the
  process crashed between commit and fan-out, the broker was down, or the row failed before.

A handler that raises is retried with growing delays (``next_attempt``) up to
:data:`MAX_ATTEMPTS` times; then the row keeps its ``error`` and stays for an administrator.
Handlers open their own django-scopes scope for the tenant they work on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from eventyay.base.models import DeferredEffect, Event, Organizer

logger = logging.getLogger(__name__)

EffectHandler = Callable[[DeferredEffect], None]
H = TypeVar("H", bound=EffectHandler)

#: Rows carried out per transaction by a worker.
BATCH_SIZE = 50
#: Attempts before a failing row is left for an administrator.
MAX_ATTEMPTS = 8
#: Set while a fan-out task is queued or running (seconds it may take at most before another
#: one is queued anyway).
KICK_KEY = "eventyay:deferred-effects:kick"
KICK_SECONDS = 60

_handlers: dict[str, EffectHandler] = {}


def register_effect(kind: str) -> Callable[[H], H]:
    """Register the function that carries out deferred rows of ``kind`` (a decorator).

    ``kind`` is a dotted name starting with the plugin's name (``badges.printed``). The handler
    gets the :class:`~eventyay.base.models.DeferredEffect` row and runs inside the worker's
    transaction, in a savepoint; raising rolls its writes back and retries the row later.
    Register at import time of a module that is always imported (the plugin's ``services`` or
    ``hooks``), so that workers know the kind too.
    """

    def decorator(handler: H) -> H:
        existing = _handlers.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"A deferred effect of kind {kind!r} is registered already.")
        _handlers[kind] = handler
        return handler

    return decorator


def effect_kinds() -> list[str]:
    """The registered kinds, sorted."""
    return sorted(_handlers)


def defer(
    kind: str,
    payload: dict[str, Any],
    *,
    organizer: Organizer | None = None,
    event: Event | None = None,
) -> DeferredEffect:
    """Record ``payload`` (JSON) for the handler of ``kind``, in the caller's transaction.

    One ``INSERT``; the handler runs after the commit (see the module's docstring). Outside a
    transaction (autocommit) the row is written and carried out at once.
    """
    if kind not in _handlers:
        raise LookupError(f"No deferred effect of kind {kind!r} is registered.")
    row = DeferredEffect.objects.create(
        kind=kind,
        payload=payload,
        organizer=organizer if organizer is not None else (event.organizer if event is not None else None),
        event=event,
    )
    pk = row.pk
    transaction.on_commit(lambda: _after_commit(pk), robust=True)
    return row


def _eager() -> bool:
    from eventyay.config.celery import app

    return bool(app.conf.task_always_eager)


def _after_commit(pk: int) -> None:
    try:
        if _eager():
            deferred_effects_run(ids=[pk])
        else:
            _kick()
    except Exception:
        # The write is committed; the sweep carries the row out later.
        logger.exception("Starting deferred effect %s failed", pk)


def _kick() -> None:
    """Queue the fan-out task unless one is queued or running already."""
    from eventyay.base.tasks import deferred_effects_fan_out

    if not cache.add(KICK_KEY, 1, KICK_SECONDS):
        return
    try:
        deferred_effects_fan_out.delay()
    except Exception:
        cache.delete(KICK_KEY)
        raise


def deferred_effects_fan_out() -> int:
    """Carry out due rows until none is left (the task queued after commit); returns the count.

    Before its last look the task clears the cache key that stops writers from queueing
    another task: a row committed before that moment is found by the last look, one committed
    after it queues a new task. Nothing is left waiting for the sweep.
    """
    done = deferred_effects_run()
    cache.delete(KICK_KEY)
    return done + deferred_effects_run()


def deferred_effects_run(
    *, ids: Iterable[int] | None = None, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Carry out due rows (all, or those of ``ids``), in batches; returns how many succeeded.

    Safe to call from any number of workers at once: each row is carried out by one of them.
    """
    wanted = list(ids) if ids is not None else None
    succeeded = 0
    while True:
        claimed, done = _run_batch(wanted, now or timezone.now(), batch_size)
        succeeded += done
        if claimed < batch_size or wanted is not None:
            return succeeded


def _run_batch(ids: list[int] | None, now: dt.datetime, batch_size: int) -> tuple[int, int]:
    with transaction.atomic():
        due = DeferredEffect.objects.filter(next_attempt__lte=now).order_by("next_attempt", "pk")
        if ids is not None:
            due = due.filter(pk__in=ids)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        # SQLite: every transaction begins IMMEDIATE (see the settings), so this one holds the
        # database's write lock from its first statement and no other worker reads these rows.
        rows = list(due[:batch_size])
        done: list[int] = []
        for row in rows:
            try:
                handler = _handlers.get(row.kind)
                if handler is None:
                    raise LookupError(f"No deferred effect of kind {row.kind!r} is registered.")
                with transaction.atomic():
                    handler(row)
            except Exception as exc:
                logger.exception("Deferred effect %s (%s) failed", row.pk, row.kind)
                row.attempts += 1
                row.error = f"{type(exc).__name__}: {exc}"[:4000]
                row.next_attempt = (
                    now + dt.timedelta(seconds=30 * 2 ** (row.attempts - 1))
                    if row.attempts < MAX_ATTEMPTS
                    else None
                )
                row.save(update_fields=["attempts", "error", "next_attempt"])
            else:
                done.append(row.pk)
        if done:
            DeferredEffect.objects.filter(pk__in=done).delete()
    return len(rows), len(done)
