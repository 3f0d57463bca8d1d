"""UTM values of the buyer's visits are kept with the order (first and last touch)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled
from eventyay_tickets.attribution import utm_capture, utm_touches
from eventyay_tickets.models import Order

from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db

SHOP = "/example/shop/tickets/"
SPRING = {
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "spring",
    "utm_content": "button",
}
SOCIAL = {"utm_source": "mastodon", "utm_campaign": "spring"}


def place_order(client: Client, catalogue: Any) -> Order:
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    client.post(
        SHOP + "checkout/",
        {
            "email": "ada@example.org",
            "email_repeat": "ada@example.org",
            "pos0-attendee_name": "Ada Lovelace",
            f"pos0-question_{catalogue.question.pk}": "ACME",
        },
    )
    client.post(SHOP + "checkout/payment/", {"payment_provider": "banktransfer"})
    response = client.post(SHOP + "checkout/confirm/", {})
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        return Order.objects.get()


def test_order_keeps_the_first_and_the_last_touch(
    client: Client, catalogue: Any, django_capture_on_commit_callbacks: Any
) -> None:
    seen: list[dict[str, Any]] = []
    # Registered before the visits: registering clears the cache, which may hold the session.
    with register_temporarily("tickets", order_placed=lambda event, order: seen.append(order.utm)):
        client.get(SHOP, {**SPRING, "fbclid": "ignored"})
        client.get(SHOP, {**SOCIAL, "utm_term": "x" * 300})
        client.get(SHOP)  # a visit without UTM values changes nothing
        with django_capture_on_commit_callbacks(execute=True):
            order = place_order(client, catalogue)
    expected = {"first": SPRING, "last": {**SOCIAL, "utm_term": "x" * 100}}
    assert order.utm == expected
    # The order_placed hook already sees them: attribution needs nothing else.
    assert seen == [expected]


def test_the_event_front_page_notes_the_touch_too(client: Client, catalogue: Any) -> None:
    assert client.get("/example/shop/", SPRING).status_code == 200
    order = place_order(client, catalogue)
    assert order.utm == {"first": SPRING, "last": SPRING}


def test_a_campaign_link_notes_the_touch_of_every_visitor(client: Client, catalogue: Any) -> None:
    # The first visitor's answer must not be served from the page cache to the next one, who
    # would then never have the visit noted.
    assert Client().get("/example/shop/", SPRING).status_code == 200
    assert client.get("/example/shop/", SPRING).status_code == 200
    assert place_order(client, catalogue).utm == {"first": SPRING, "last": SPRING}


def test_orders_without_utm_values_have_none(client: Client, catalogue: Any) -> None:
    client.get(SHOP)
    assert place_order(client, catalogue).utm == {}


def test_touches_are_kept_per_organizer(rf: Any, catalogue: Any, other_organizer: Any) -> None:
    request = rf.get("/", SOCIAL)
    request.session = {}
    theirs = SimpleNamespace(organizer_id=other_organizer.pk)
    utm_capture(request, theirs)
    assert utm_touches(request, theirs) == {"first": SOCIAL, "last": SOCIAL}
    assert utm_touches(request, catalogue.event) == {}
