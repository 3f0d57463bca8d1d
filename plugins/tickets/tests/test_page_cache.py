"""The shop in the page cache: every change a visitor can see shows at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_scopes import scope

from eventyay.base.services.plugins import event_plugins_update

SHOP = "/example/shop/tickets/"
FRONT = "/example/shop/"


def _cached(client: Client, path: str) -> str:
    client.get(path)
    response = client.get(path)
    assert response.status_code == 200
    assert response.wsgi_request.eventyay_page_cache == "hit"
    return response.content.decode()


def test_price_changed_in_the_api_shows_at_once(client, catalogue, api_client):
    assert "100.00 EUR" in _cached(client, SHOP)
    assert "100.00 EUR" in _cached(client, FRONT)
    response = api_client.patch(
        f"/api/v1/organizers/example/events/shop/products/{catalogue.ticket.pk}/",
        {"price": "80.00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    for path in (SHOP, FRONT):
        html = client.get(path).content.decode()
        assert "80.00 EUR" in html and "100.00 EUR" not in html


def test_variation_price_changed_shows_at_once(client, catalogue):
    from eventyay_tickets.services.catalogue import catalogue_save

    assert "25.00 EUR" in _cached(client, SHOP)
    with scope(organizer=catalogue.event.organizer):
        catalogue_save(
            event=catalogue.event,
            model=type(catalogue.large),
            instance=catalogue.large,
            data={"price": Decimal("27.50")},
        )
    assert "27.50 EUR" in client.get(SHOP).content.decode()


def test_quota_sold_out_by_an_order_shows_at_once(client, catalogue):
    from eventyay_tickets.services import order_place

    from .conftest import ticket_position

    with scope(organizer=catalogue.event.organizer):
        catalogue.quota.size = 1
        catalogue.quota.save()
    assert "Sold out" not in _cached(client, SHOP)
    with scope(organizer=catalogue.event.organizer):
        order_place(
            event=catalogue.event,
            email="buyer@example.org",
            positions=[ticket_position(catalogue)],
            payment_provider="banktransfer",
            send_email=False,
        )
    assert "Sold out" in client.get(SHOP).content.decode()
    assert "Sold out" in client.get(FRONT).content.decode()


def test_quota_size_changed_in_the_control_panel_shows_at_once(client, catalogue):
    from eventyay_tickets.services.catalogue import catalogue_save

    assert "Sold out" not in _cached(client, SHOP)
    with scope(organizer=catalogue.event.organizer):
        catalogue_save(
            event=catalogue.event, model=type(catalogue.quota), instance=catalogue.quota, data={"size": 0}
        )
    assert "Sold out" in client.get(SHOP).content.decode()


def test_tickets_switched_off_disappear_at_once(client, catalogue):
    assert "Ticket" in _cached(client, FRONT)
    with scope(organizer=catalogue.event.organizer):
        event_plugins_update(event=catalogue.event, disable=["tickets"], is_admin=True)
    assert "100.00 EUR" not in client.get(FRONT).content.decode()
    assert client.get(SHOP).status_code == 404


def test_shopper_with_a_cart_gets_the_live_page(client, catalogue):
    _cached(client, SHOP)
    response = client.post(
        "/example/shop/tickets/cart/add/", {f"product_{catalogue.ticket.pk}": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME in client.cookies
    page = client.get(SHOP)
    assert getattr(page.wsgi_request, "eventyay_page_cache", None) is None
    assert "ETag" not in page


def test_htmx_part_and_whole_page_are_cached_apart(client, catalogue):
    whole = _cached(client, SHOP)
    part = client.get(SHOP, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in whole and "<html" not in part
    assert "<html" in client.get(SHOP).content.decode()


def test_shop_of_another_organizer_is_not_mixed_up(client, catalogue, other_organizer):
    _cached(client, SHOP)
    assert client.get("/other/shop/tickets/").status_code == 404
    assert client.get("/other/otherconf/tickets/").status_code == 404


def test_cached_shop_reads_no_catalogue(client, catalogue, django_assert_max_num_queries: Any):
    _cached(client, SHOP)
    with django_assert_max_num_queries(1):
        assert client.get(SHOP).status_code == 200


@pytest.mark.parametrize("through", ["django", "asgi"])
def test_places_left_badge_follows_every_sale_near_the_end_at_once(catalogue, through):
    """The "N left" badge changes with each sale and cancellation once it shows, on both paths."""
    from eventyay_tickets.services import order_place
    from eventyay_tickets.services.orders import order_cancel

    from eventyay.testing.asgi import AsgiClient

    from .conftest import ticket_position

    visitor = Client() if through == "django" else AsgiClient()
    with scope(organizer=catalogue.event.organizer):
        catalogue.quota.size = 12
        catalogue.quota.save()

    def shop() -> str:
        visitor.get(SHOP)
        response = visitor.get(SHOP)
        assert response.status_code == 200
        return response.content.decode()

    def place(count: int) -> Any:
        with scope(organizer=catalogue.event.organizer):
            return order_place(
                event=catalogue.event,
                email="buyer@example.org",
                positions=[ticket_position(catalogue) for _ in range(count)],
                payment_provider="banktransfer",
                send_email=False,
            )

    assert "10 left" not in shop()
    place(2)
    assert "10 left" in shop()
    order = place(1)
    html = shop()
    assert "9 left" in html and "10 left" not in html
    with scope(organizer=catalogue.event.organizer):
        order_cancel(order=order, send_email=False)
    assert "10 left" in shop()
