"""Celery tasks: take ids, re-load inside the worker, open the tenant scope, call a service."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, EventPlugin


def _events_with_tickets() -> list[Event]:
    with scopes_disabled():
        ids = EventPlugin.objects.filter(name="tickets", enabled=True).values_list("event_id", flat=True)
        return list(Event.objects.filter(pk__in=list(ids)).select_related("organizer"))


@shared_task(name="eventyay_tickets.tasks.expire_due_orders", ignore_result=True)
def expire_due_orders() -> None:
    """Beat task: expire overdue orders, remind buyers, drop stale carts, retry document mails."""
    from eventyay_tickets.services import (
        cart_expired_cleanup,
        orders_expire_due,
        orders_send_expiry_reminders,
    )
    from eventyay_tickets.services.notifications import order_mails_awaiting_retry

    for event in _events_with_tickets():
        with scope(organizer=event.organizer):
            orders_expire_due(event=event)
            orders_send_expiry_reminders(event=event)
            cart_expired_cleanup(event=event)
            order_mails_awaiting_retry(event=event)


@shared_task(name="eventyay_tickets.tasks.execute_refund", ignore_result=True)
def execute_refund(refund_id: int) -> None:
    from eventyay_tickets.models import OrderRefund
    from eventyay_tickets.services import refund_execute

    with scopes_disabled():
        refund = OrderRefund.objects.select_related("order__event__organizer").filter(pk=refund_id).first()
    if refund is None or refund.state != OrderRefund.State.CREATED:
        return
    with scope(organizer=refund.order.event.organizer):
        refund_execute(refund=refund)
