"""A placed order carries the rows it wrote: read without queries, and still filterable."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope
from eventyay_tickets.services import order_place

from .conftest import ticket_position

pytestmark = pytest.mark.django_db


def _place(catalogue: Any, name: str) -> Any:
    return order_place(
        event=catalogue.event,
        email="buyer@example.org",
        positions=[ticket_position(catalogue, attendee_name=name)],
        payment_provider="banktransfer",
    )


def test_the_placed_orders_rows_are_read_without_queries(
    catalogue: Any, django_assert_num_queries: Any
) -> None:
    with scope(organizer=catalogue.event.organizer):
        order = _place(catalogue, "Ada")
        with django_assert_num_queries(0):
            [position] = order.positions.all()
            [payment] = order.payments.all()
            assert list(order.refunds.all()) == []
            [answer] = position.answers.all()
    assert position.attendee_name == "Ada" and position.order_id == order.pk
    assert payment.amount == order.total
    assert answer.answer == "ACME"


def test_a_filter_on_a_placed_orders_rows_queries_that_order_only(catalogue: Any) -> None:
    with scope(organizer=catalogue.event.organizer):
        first = _place(catalogue, "Ada")
        second = _place(catalogue, "Grace")
        assert [p.attendee_name for p in second.positions.filter(price__gte=0)] == ["Grace"]
        assert [p.attendee_name for p in first.positions.exclude(attendee_name="")] == ["Ada"]
        assert second.positions.filter(attendee_name="Ada").count() == 0
        assert second.payments.filter(amount=second.total).count() == 1
        [position] = second.positions.all()
        assert [a.answer for a in position.answers.filter(question=catalogue.question)] == ["ACME"]
