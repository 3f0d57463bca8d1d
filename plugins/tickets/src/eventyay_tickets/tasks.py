"""Celery tasks: take ids, re-load inside the worker, open the tenant scope, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, EventPlugin

logger = logging.getLogger(__name__)


def _events_with_tickets() -> list[Event]:
    with scopes_disabled():
        ids = EventPlugin.objects.filter(name="tickets", enabled=True).values_list("event_id", flat=True)
        return list(Event.objects.filter(pk__in=list(ids)).select_related("organizer"))


@shared_task(name="eventyay_tickets.tasks.expire_due_orders", ignore_result=True)
def expire_due_orders() -> None:
    """Beat task: expire overdue orders, remind buyers, drop stale carts, retry document mails
    and refunds whose task got lost.

    Each event is handled on its own: an error in one event (a broken setting, a plugin hook
    that raises) is logged and the other events are still served.
    """
    from eventyay_tickets.services import (
        cart_expired_cleanup,
        orders_expire_due,
        orders_send_expiry_reminders,
        refunds_retry_stale,
    )
    from eventyay_tickets.services.notifications import order_mails_awaiting_retry

    for event in _events_with_tickets():
        try:
            with scope(organizer=event.organizer):
                orders_expire_due(event=event)
                orders_send_expiry_reminders(event=event)
                cart_expired_cleanup(event=event)
                order_mails_awaiting_retry(event=event)
                refunds_retry_stale(event=event)
        except Exception:
            logger.exception("The periodic order upkeep of event %s failed", event.pk)


@shared_task(name="eventyay_tickets.tasks.reconcile_capacity", ignore_result=True)
def reconcile_capacity() -> None:
    """Beat task: recount every quota and voucher counter from the rows; correct and report drift.

    Drift means a transition changed rows without its counter (a bug, or a write outside the
    services): it is logged at error level and recorded in the event's audit log.
    """
    from eventyay_tickets.services.quotas import counters_reconcile

    for event in _events_with_tickets():
        try:
            with scope(organizer=event.organizer):
                counters_reconcile(event=event)
        except Exception:
            logger.exception("Recounting the capacity of event %s failed", event.pk)


@shared_task(name="eventyay_tickets.tasks.execute_refund", ignore_result=True)
def execute_refund(refund_id: int) -> None:
    """Send one automatic refund; a redelivered task finds it claimed and does nothing."""
    from eventyay_tickets.services import refund_claim, refund_execute

    with scopes_disabled():
        refund = refund_claim(refund_id=refund_id)
    if refund is None:
        return
    with scope(organizer=refund.order.event.organizer):
        refund_execute(refund=refund)
