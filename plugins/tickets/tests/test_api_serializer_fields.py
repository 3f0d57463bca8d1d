"""Order serializers reuse their thread's bound fields and still answer for the order at hand."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django_scopes import scope
from eventyay_tickets.api.serializers import OrderCreateSerializer, OrderPositionSerializer, OrderSerializer

from .backoffice import place_order

pytestmark = pytest.mark.django_db


def test_one_thread_serializes_orders_one_after_another_with_the_same_fields(catalogue: Any) -> None:
    first = place_order(catalogue, name="Ada Lovelace")
    second = place_order(catalogue, name="Grace Hopper", paid=False)
    with scope(organizer=catalogue.event.organizer):
        one = OrderSerializer(first, context={"event": catalogue.event})
        two = OrderSerializer(second, context={"event": catalogue.event})
        one_data, two_data = one.data, two.data
        assert one.fields["positions"] is two.fields["positions"]
        again = OrderSerializer(first, context={"event": catalogue.event}).data
    assert one_data["code"] == first.code and two_data["code"] == second.code
    assert one_data["status"] == "paid" and two_data["status"] == "pending"
    assert one_data["url"].endswith(first.get_absolute_url())
    assert two_data["url"].endswith(second.get_absolute_url())
    assert [p["attendee_name"] for p in one_data["positions"]] == ["Ada Lovelace"]
    assert [p["attendee_name"] for p in two_data["positions"]] == ["Grace Hopper"]
    assert again == one_data


def test_threads_have_fields_of_their_own(catalogue: Any) -> None:
    order = place_order(catalogue)
    found: list[Any] = []

    def bind() -> None:
        # No database access: the other thread cannot see the test's transaction.
        found.append(OrderSerializer(order, context={"event": catalogue.event}).fields["positions"])

    bind()
    bind()
    other = threading.Thread(target=bind)
    other.start()
    other.join()
    assert found[0] is found[1]
    assert found[2] is not found[0]


def test_nested_serializers_get_copies_not_the_thread_fields(catalogue: Any) -> None:
    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        top = OrderPositionSerializer(order.positions.first())
        nested = OrderSerializer(order, context={"event": catalogue.event}).fields["positions"].child
        assert top.fields["answers"] is not nested.fields["answers"]
        assert top.data["attendee_name"] == nested.to_representation(order.positions.first())["attendee_name"]


def test_order_input_is_validated_with_the_threads_fields_one_body_after_another() -> None:
    bad = OrderCreateSerializer(
        data={"email": "not an address", "positions": [{"product": 1}, {"product": "x", "answers": [{}]}]}
    )
    assert not bad.is_valid()
    good = OrderCreateSerializer(
        data={"email": "ada@example.org", "positions": [{"product": 2, "answers": [{"question": 3}]}]}
    )
    assert good.fields["positions"] is bad.fields["positions"]
    assert good.is_valid(), good.errors
    empty = OrderCreateSerializer(data={"positions": []})
    assert not empty.is_valid()
    # Each body's errors and values are its own; nothing of an earlier body stays on the fields.
    assert set(bad.errors) == {"email", "positions"}
    assert set(bad.errors["positions"]) == {1}
    assert set(bad.errors["positions"][1]) == {"product", "answers"}
    assert set(empty.errors) == {"positions"}
    assert good.validated_data["email"] == "ada@example.org"
    [position] = good.validated_data["positions"]
    assert position["product"] == 2 and position["attendee_name"] == ""
    assert [dict(answer) for answer in position["answers"]] == [{"question": 3}]
    assert good.validated_data["send_email"] is False
