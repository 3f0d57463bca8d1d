"""The buyer's return and Stripe's webhook, at the same moment on separate connections."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client
from django_scopes import scope, scopes_disabled

from .conftest import WEBHOOK_SECRET
from .fakestripe import sign


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_return_and_webhook_at_once_confirm_the_payment_once(shop, place, fake):
    import json

    from eventyay_tickets.services import order_payment_start

    from eventyay.base.models import LogEntry

    order = place()
    with scope(organizer=shop.event.organizer):
        order_payment_start(order=order, request=None)
    session_id = next(iter(fake.objects))
    fake.pay(session_id)
    base = f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/"
    start = threading.Barrier(4)

    def returned(_i: int) -> int:
        try:
            start.wait()
            url = f"{base}order/{order.code}/{order.secret}/return/"
            return Client().get(url, {"session_id": session_id}).status_code
        finally:
            connections.close_all()

    def webhook(_i: int) -> int:
        try:
            body = json.dumps(fake.event("checkout.session.completed", {"id": session_id})).encode()
            start.wait()
            return (
                Client()
                .post(
                    f"{base}webhook/",
                    data=body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET),
                )
                .status_code
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(returned, 0),
            pool.submit(webhook, 0),
            pool.submit(returned, 1),
            pool.submit(webhook, 1),
        ]
        statuses = Counter(future.result() for future in futures)
    # Returns redirect; webhooks are accepted or asked to retry while the order is locked.
    assert set(statuses) <= {302, 200, 503}
    with scopes_disabled():
        order.refresh_from_db()
        assert order.status == "paid"
        assert LogEntry.objects.filter(action_type="eventyay_tickets.order.paid").count() == 1
