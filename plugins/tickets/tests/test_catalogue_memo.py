"""The order catalogue each process keeps per event and catalogue stamp."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django_scopes import scope
from eventyay_tickets import selectors
from eventyay_tickets.models import Product, Quota
from eventyay_tickets.services import order_place
from eventyay_tickets.services.errors import OrderError

from eventyay.base.services import cache as page_cache
from eventyay.base.services.cache import content_version

from .conftest import ticket_position

pytestmark = pytest.mark.django_db(transaction=True)


def test_threads_asking_for_a_cold_catalogue_at_once_build_it_once(catalogue, monkeypatch):
    """A sale opening sends every thread of a process to the same event's unbuilt catalogue."""
    builds: list[int] = []
    original = selectors._build_catalogue

    def slow_build(event: Any) -> Any:
        builds.append(event.pk)
        time.sleep(0.2)  # long enough for the other threads to arrive meanwhile
        return original(event)

    monkeypatch.setattr(selectors, "_build_catalogue", slow_build)
    gate = threading.Barrier(4)
    results: list[Any] = []

    def buyer() -> None:
        gate.wait()
        try:
            with scope(organizer=catalogue.event.organizer):
                results.append(selectors.order_catalogue(catalogue.event))
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer) for _index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [catalogue.event.pk]
    assert len(results) == 4 and all(found is results[0] for found in results)
    assert catalogue.ticket.pk in results[0].products


class _WatchedLock:
    """A lock that notes whether the thread taking it already had its database connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.connected_when_taken: list[bool] = []

    def __enter__(self) -> Any:
        self.connected_when_taken.append(connection.connection is not None)
        return self._lock.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._lock.__exit__(*exc)


def test_the_builder_has_its_database_connection_before_it_takes_the_lock(catalogue, monkeypatch):
    """Lock order: the pool's connection first, then the build lock (waiters hold connections)."""
    lock = _WatchedLock()
    monkeypatch.setitem(page_cache._builders, ("tickets:order-catalogue", catalogue.event.pk), lock)
    monkeypatch.setattr("eventyay_tickets.models.versions.catalogue_version", lambda **_ids: ("cold", "cold"))
    organizer = catalogue.event.organizer
    connection.close()
    with scope(organizer=organizer):
        built = selectors.order_catalogue(catalogue.event)
    assert catalogue.ticket.pk in built.products
    assert lock.connected_when_taken == [True]


def test_a_change_of_the_catalogue_is_built_anew(catalogue):
    with scope(organizer=catalogue.event.organizer):
        before = selectors.order_catalogue(catalogue.event)
        assert selectors.order_catalogue(catalogue.event) is before
        Product.objects.filter(pk=catalogue.ticket.pk).first().save()  # any saved row: a new stamp
        after = selectors.order_catalogue(catalogue.event)
    assert after is not before


def test_a_quota_closing_on_sell_out_keeps_the_catalogue_and_refuses_the_next_order(catalogue):
    """Every worker rebuilding its catalogue at the sell-out stalled the busiest moment of a sale."""
    with scope(organizer=catalogue.event.organizer):
        Quota.objects.filter(pk=catalogue.quota.pk).update(size=1, close_when_sold_out=True)
        before = selectors.order_catalogue(catalogue.event)
        version = content_version(catalogue.event.pk)
        order_place(
            event=catalogue.event,
            email="first@example.org",
            positions=[ticket_position(catalogue)],
            payment_provider="banktransfer",
        )
        assert Quota.objects.get(pk=catalogue.quota.pk).closed
        assert selectors.order_catalogue(catalogue.event) is before
        # Shop pages show the sell-out at once: the event's public content changed.
        assert content_version(catalogue.event.pk) != version
        with pytest.raises(OrderError) as refused:
            order_place(
                event=catalogue.event,
                email="second@example.org",
                positions=[ticket_position(catalogue)],
                payment_provider="banktransfer",
            )
    assert "sold out" in str(refused.value.detail["positions"][0]["product"][0])
