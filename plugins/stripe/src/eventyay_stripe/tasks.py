"""Celery tasks: take ids, re-load inside the worker, open the tenant scope, call a service."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import Order


@shared_task(name="eventyay_stripe.tasks.expire_sessions", ignore_result=True)
def expire_sessions(order_id: int) -> None:
    """Close the open Checkout Sessions of an order that expired or was canceled."""
    from eventyay_tickets.selectors import payment_providers

    from eventyay_stripe.provider import StripeProvider
    from eventyay_stripe.services import sessions_expire

    with scopes_disabled():
        order = Order.objects.select_related("event__organizer").filter(pk=order_id).first()
    if order is None:
        return
    with scope(organizer=order.event.organizer):
        provider = payment_providers(order.event).get(StripeProvider.identifier)
        if isinstance(provider, StripeProvider) and provider.api_key():
            sessions_expire(provider=provider, order=order)
