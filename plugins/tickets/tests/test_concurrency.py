"""No oversell under concurrency: real threads on separate connections against one quota."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import OperationalError, connections
from django_scopes import scopes_disabled
from eventyay_tickets.models import Order, OrderPosition, Quota

from .conftest import ticket_position

BASE = "/api/v1/organizers/example/events/shop"


def _set_quota(catalogue: Any, size: int) -> None:
    with scopes_disabled():
        Quota.objects.filter(pk=catalogue.quota.pk).update(size=size)


def _sold(catalogue: Any) -> int:
    with scopes_disabled():
        return OrderPosition.objects.filter(
            order__event=catalogue.event, order__status__in=Order.HOLDING, product=catalogue.ticket
        ).count()


def _api_rush(
    live_server: Any, api_token: str, catalogue: Any, *, requests_total: int, workers: int
) -> Counter:
    body = {
        "email": "rush@example.org",
        "payment_provider": "banktransfer",
        "positions": [
            {"product": catalogue.ticket.pk, "answers": [{"question": catalogue.question.pk, "answer": "x"}]}
        ],
    }
    url = f"{live_server.url}{BASE}/orders/"

    def one(_i: int) -> int:
        with requests.Session() as session:
            response = session.post(
                url, json=body, headers={"Authorization": f"Token {api_token}"}, timeout=60
            )
            if response.status_code == 409:
                assert response.headers.get("Retry-After")
            return response.status_code

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return Counter(pool.map(one, range(requests_total)))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("size", "attempts"), [(1, 12), (20, 40)])
def test_concurrent_api_orders_sell_exactly_the_quota(live_server, api_token, catalogue, size, attempts):
    _set_quota(catalogue, size)
    statuses = _api_rush(live_server, api_token, catalogue, requests_total=attempts, workers=12)
    assert statuses[500] == 0
    assert set(statuses) <= {201, 400, 409}
    assert statuses[201] == size == _sold(catalogue)


def _shop_checkout(catalogue: Any) -> str:
    """One shopper on their own connection: cart, details, payment, confirm."""
    from django.test import Client

    shop = "/example/shop/tickets/"
    client = Client()
    try:
        added = client.post(shop + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
        if added.status_code != 302:
            return f"cart-{added.status_code}"
        client.post(
            shop + "checkout/",
            {
                "email": "shopper@example.org",
                "email_repeat": "shopper@example.org",
                "pos0-attendee_name": "Shopper",
                f"pos0-question_{catalogue.question.pk}": "ACME",
            },
        )
        client.post(shop + "checkout/payment/", {"payment_provider": "banktransfer"})
        confirmed = client.post(shop + "checkout/confirm/", {})
        return (
            "order"
            if "/tickets/order/" in confirmed.get("Location", "")
            else f"confirm-{confirmed.status_code}"
        )
    finally:
        connections.close_all()


def _threads_the_pool_serves(wanted: int) -> int:
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    return min(wanted, int(pool["max_size"]) - 1) if pool else wanted


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("size", "shoppers"), [(1, 8), (20, 30)])
def test_concurrent_shop_checkouts_sell_exactly_the_quota(catalogue, size, shoppers):
    _set_quota(catalogue, size)
    # Each shopper is a thread of this process on its database pool, beside the test's own
    # connection: no more of them at once than the pool serves, as a production process runs
    # no more request threads than its pool has connections.
    with ThreadPoolExecutor(max_workers=_threads_the_pool_serves(8)) as pool:
        results = Counter(pool.map(lambda _i: _shop_checkout(catalogue), range(shoppers)))
    assert results["order"] == size == _sold(catalogue)
    assert not [key for key in results if key.endswith("500")]


@pytest.mark.django_db
def test_sequential_orders_stop_exactly_at_the_quota(catalogue):
    """The same count-after-write check on whatever database runs the tests (SQLite embedded)."""
    from django_scopes import scope
    from eventyay_tickets.services import OrderError, order_place

    _set_quota(catalogue, 3)
    outcomes = Counter()
    with scope(organizer=catalogue.event.organizer):
        for _i in range(5):
            try:
                order_place(
                    event=catalogue.event,
                    email="a@example.org",
                    positions=[ticket_position(catalogue)],
                    payment_provider="banktransfer",
                )
                outcomes["ok"] += 1
            except OrderError:
                outcomes["sold out"] += 1
    assert outcomes == {"ok": 3, "sold out": 2}
    assert _sold(catalogue) == 3


@pytest.mark.django_db
def test_lock_timeout_answers_409_with_retry_after(api_client, catalogue, monkeypatch):
    def locked(**kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr("eventyay_tickets.services.orders.capacity_take", locked)
    body = {
        "email": "a@example.org",
        "payment_provider": "banktransfer",
        "positions": [ticket_position(catalogue)],
    }
    response = api_client.post(f"{BASE}/orders/", body, format="json")
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    with scopes_disabled():
        assert not Order.objects.exists()
