"""The orders list search: indexed prefix look-ups on codes, emails and attendee names."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from .backoffice import far_from_sold_out, place_order

pytestmark = pytest.mark.django_db

ORDERS = "/control/event/example/shop/tickets/orders/"


@pytest.fixture
def orders(catalogue):
    ada = place_order(catalogue, name="Ada Lovelace")
    grace = place_order(catalogue, name="Grace Brewster Hopper", paid=False)
    return ada, grace


def found(client, query: str, *candidates) -> set[str]:
    html = client.get(ORDERS, {"query": query}).content.decode()
    return {order.code for order in candidates if f">{order.code}<" in html}


def test_attendee_names_are_found_by_first_or_later_names_in_any_case(client_for, user, orders):
    ada, grace = orders
    client = client_for(user)
    assert found(client, "ada", ada, grace) == {ada.code}
    assert found(client, "LOVEL", ada, grace) == {ada.code}
    assert found(client, "brewster hop", ada, grace) == {grace.code}
    assert found(client, "Grace Brew", ada, grace) == {grace.code}
    assert found(client, "opper", ada, grace) == set()


def test_codes_and_emails_are_found_by_their_beginning(client_for, user, catalogue, orders):
    ada, grace = orders
    client = client_for(user)
    assert found(client, ada.code.lower(), ada, grace) == {ada.code}
    assert found(client, f"{catalogue.event.slug}-{grace.code}", ada, grace) == {grace.code}
    assert found(client, "BUYER@example", ada, grace) == {ada.code, grace.code}
    assert found(client, "buyer@example.org", ada, grace) == {ada.code, grace.code}
    assert found(client, "nobody@example.org", ada, grace) == set()


def test_search_keys_follow_changed_names(catalogue, orders):
    from eventyay_tickets.models import OrderPosition

    ada, _grace = orders
    with scope(organizer=catalogue.event.organizer):
        OrderPosition.objects.filter(order=ada).update(attendee_name="Augusta King")
        keys = OrderPosition.objects.filter(order=ada).values_list(
            "attendee_name_key", "attendee_name_rest_key"
        )
        assert list(keys) == [("augusta king", "king")]


def search_queries(client, query: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ORDERS, {"query": query})
    assert response.status_code == 200
    return len(queries)


def test_searching_takes_the_same_queries_however_many_orders_match(client_for, user, catalogue):
    client = client_for(user)
    far_from_sold_out(catalogue)
    place_order(catalogue, name="Ada Lovelace")
    client.get(ORDERS)
    by_name = search_queries(client, "ada")
    by_code = search_queries(client, "ABCDE")
    by_email = search_queries(client, "buyer@example.org")
    for index in range(15):
        place_order(catalogue, name=f"Ada Number{index}", paid=index % 2 == 0)
    assert search_queries(client, "ada") == by_name
    assert search_queries(client, "ABCDE") == by_code
    assert search_queries(client, "buyer@example.org") == by_email
    assert by_name == by_code == by_email
