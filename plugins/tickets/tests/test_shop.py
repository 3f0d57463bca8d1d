"""The public shop without JavaScript: product list, voucher, cart, checkout steps, order page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import CartPosition, Order

from eventyay.base.plugins import Section
from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db

SHOP = "/example/shop/tickets/"


def checkout(client: Client, catalogue, *, terms: bool = False) -> Order:
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
    data = {"accept_terms": "on"} if terms else {}
    response = client.post(SHOP + "checkout/confirm/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        return Order.objects.get()


def test_shop_lists_products_with_prices_and_hides_voucher_only_ones(client, catalogue):
    response = client.get(SHOP)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ticket" in html and "100.00 EUR" in html
    assert "Secret" not in html
    assert f'name="variation_{catalogue.shirt.pk}_{catalogue.large.pk}"' in html


def test_sold_out_and_not_yet_on_sale_are_shown(client, catalogue):
    with scopes_disabled():
        catalogue.quota.size = 0
        catalogue.quota.save()
        catalogue.shirt.available_from = timezone.now() + dt.timedelta(days=2)
        catalogue.shirt.save()
    html = client.get(SHOP).content.decode()
    assert "Sold out" in html and "Not on sale yet" in html


def test_voucher_unlocks_hidden_product(client, catalogue):
    with scopes_disabled():
        catalogue.voucher.product = catalogue.secret
        catalogue.voucher.save()
    html = client.get(SHOP, {"voucher": "HALF"}).content.decode()
    assert "Secret" in html and "Voucher HALF is active" in html
    client.post(SHOP + "cart/add/", {f"product_{catalogue.secret.pk}": "1", "voucher": "HALF"})
    with scopes_disabled():
        position = CartPosition.objects.get()
    assert position.price == Decimal("5.00") and position.voucher_id == catalogue.voucher.pk


def test_cart_shows_reservation_time_left(client, catalogue):
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "2"})
    html = client.get(SHOP).content.decode()
    assert "reserved for you for another" in html
    assert 'data-countdown-seconds="' in html
    assert "200.00 EUR" in html


def test_full_checkout_without_javascript(client, catalogue, django_capture_on_commit_callbacks):
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    order = checkout(client, catalogue)
    assert order.email == "ada@example.org" and order.status == "pending"
    with scopes_disabled():
        assert order.positions.get().attendee_name == "Ada Lovelace"
        assert not CartPosition.objects.exists()
    page = client.get(order.get_absolute_url()).content.decode()
    assert order.full_code in page and "Ada Lovelace" in page


def test_email_addresses_must_match(client, catalogue):
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    response = client.post(SHOP + "checkout/", {"email": "a@example.org", "email_repeat": "b@example.org"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_terms_must_be_accepted_when_configured(client, catalogue):
    with scope(organizer=catalogue.event.organizer):
        from eventyay_tickets.selectors import PLUGIN

        state = catalogue.event.plugin_states.get(name=PLUGIN)
        state.settings = {"terms_url": "https://example.org/terms"}
        state.save()
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    client.post(
        SHOP + "checkout/",
        {
            "email": "ada@example.org",
            "email_repeat": "ada@example.org",
            "pos0-attendee_name": "Ada",
            f"pos0-question_{catalogue.question.pk}": "ACME",
        },
    )
    client.post(SHOP + "checkout/payment/", {"payment_provider": "banktransfer"})
    response = client.post(SHOP + "checkout/confirm/", {})
    assert response.status_code == 200 and "terms" in response.content.decode()
    with scopes_disabled():
        assert not Order.objects.exists()
    assert client.post(SHOP + "checkout/confirm/", {"accept_terms": "on"}).status_code == 302


def test_free_order_is_paid_without_a_payment_step(client, catalogue):
    with scopes_disabled():
        catalogue.ticket.price = 0
        catalogue.ticket.save()
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    client.post(
        SHOP + "checkout/",
        {
            "email": "ada@example.org",
            "email_repeat": "ada@example.org",
            "pos0-attendee_name": "Ada",
            f"pos0-question_{catalogue.question.pk}": "ACME",
        },
    )
    assert client.get(SHOP + "checkout/payment/")["Location"].endswith("/checkout/confirm/")
    client.post(SHOP + "checkout/confirm/", {})
    with scopes_disabled():
        assert Order.objects.get().status == "paid"


def test_order_page_shows_plugin_sections(client, catalogue):
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    order = checkout(client, catalogue)
    section = Section(title="Join online", html="<a href='#'>Join</a>", key="video-join")
    with register_temporarily("tickets", order_page_sections=lambda event, order, request: [section]):
        html = client.get(order.get_absolute_url()).content.decode()
    assert "Join online" in html and 'id="video-join"' in html


def test_wrong_secret_is_404(client, catalogue):
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    order = checkout(client, catalogue)
    assert client.get(f"{SHOP}order/{order.code}/wrongsecret/").status_code == 404


def test_attendee_can_change_names_before_the_deadline(client, catalogue):
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    order = checkout(client, catalogue)
    with scopes_disabled():
        position = order.positions.get()
    client.post(order.get_absolute_url() + "attendees/", {f"pos{position.pk}-attendee_name": "Ada King"})
    with scopes_disabled():
        position.refresh_from_db()
    assert position.attendee_name == "Ada King"


def test_attendee_can_cancel_when_allowed(client, catalogue):
    with scope(organizer=catalogue.event.organizer):
        state = catalogue.event.plugin_states.get(name="tickets")
        state.settings = {"cancel_allowed": True}
        state.save()
    client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    order = checkout(client, catalogue)
    client.post(order.get_absolute_url() + "cancel/")
    order.refresh_from_db()
    assert order.status == "canceled"


def test_front_page_offers_the_shop_section(client, catalogue):
    html = client.get("/example/shop/").content.decode()
    assert 'id="tickets"' in html and "Buy tickets" in html


def test_shop_is_404_when_the_plugin_is_off(client, make_event):
    make_event(slug="plain")
    assert client.get("/example/plain/tickets/").status_code == 404


def test_shop_listing_queries_are_constant(client, catalogue, django_assert_max_num_queries):
    with scope(organizer=catalogue.event.organizer):
        from eventyay_tickets.models import Product

        for i in range(10):
            Product.objects.create(event=catalogue.event, name={"en": f"Extra {i}"}, price=1)
    with django_assert_max_num_queries(14):
        assert client.get(SHOP).status_code == 200
