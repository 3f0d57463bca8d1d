"""The shop with HTMX (parts swapped in place) and without JavaScript (plain forms, redirects)."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import CartPosition, Quota

SHOP = "/example/shop/tickets/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db
def test_without_javascript_the_forms_post_and_redirect_to_the_whole_page(client, catalogue):
    page = client.get(SHOP).content.decode()
    assert 'action="/example/shop/tickets/cart/add/"' in page and "<html" in page
    added = client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "1"})
    assert added.status_code == 302 and added["Location"] == SHOP + "#cart"
    page = client.get(SHOP).content.decode()
    assert "Proceed with checkout" in page and "tickets-countdown-value" in page
    with scopes_disabled():
        position = CartPosition.objects.get()
    removed = client.post(SHOP + "cart/remove/", {"position": position.pk})
    assert removed.status_code == 302
    assert "Your cart is empty." in client.get(SHOP).content.decode()
    voucher = client.get(SHOP, {"voucher": "HALF"}).content.decode()
    assert "<html" in voucher and "Voucher HALF is active" in voucher


@pytest.mark.django_db
def test_htmx_requests_get_the_shop_body_with_their_messages(client, catalogue):
    added = client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "2"}, **HTMX)
    body = added.content.decode()
    assert added.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="shop-body"') and "Proceed with checkout" in body
    assert added["Vary"].count("HX-Request") == 1
    too_many = client.post(SHOP + "cart/add/", {f"product_{catalogue.ticket.pk}": "9"}, **HTMX)
    assert too_many.status_code == 200 and 'class="alert alert-danger"' in too_many.content.decode()
    voucher = client.get(SHOP, {"voucher": "HALF"}, **HTMX).content.decode()
    assert "<html" not in voucher and "Voucher HALF is active" in voucher
    with scopes_disabled():
        position = CartPosition.objects.first()
    removed = client.post(SHOP + "cart/remove/", {"position": position.pk}, **HTMX)
    assert removed.status_code == 200 and "<html" not in removed.content.decode()
    restore = client.get(SHOP, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()


@pytest.mark.django_db
def test_availability_refresh_swaps_the_badges_out_of_band(client, catalogue):
    html = client.get(SHOP + "availability/").content.decode()
    assert f'id="tickets-avail-p{catalogue.ticket.pk}" hx-swap-oob="true"' in html
    assert f'id="tickets-avail-v{catalogue.small.pk}" hx-swap-oob="true"' in html
    assert "Sold out" not in html
    assert f'id="tickets-avail-p{catalogue.secret.pk}"' not in html  # hidden without its voucher
    with scope(organizer=catalogue.event.organizer):
        Quota.objects.filter(pk=catalogue.quota.pk).update(size=0)
    from django.core.cache import cache

    cache.clear()
    html = client.get(SHOP + "availability/").content.decode()
    badge = html.split(f'id="tickets-avail-p{catalogue.ticket.pk}"')[1].split("</span></span>")[0]
    assert "Sold out" in badge


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_htmx_adds_to_the_cart_and_redeems_vouchers_without_reloading(live_server, catalogue, chromium):
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}{SHOP}")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Voucher code").fill("HALF")
    page.get_by_role("button", name="Redeem voucher").click()
    page.get_by_text("Voucher HALF is active").wait_for()
    assert page.url.endswith("?voucher=HALF")
    page.get_by_label("Number of Ticket").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Proceed with checkout").wait_for()
    page.wait_for_function(
        "() => document.querySelector('.tickets-countdown-value').textContent.includes(':')"
    )
    first = page.locator(".tickets-countdown-value").inner_text()
    page.wait_for_function(
        "text => document.querySelector('.tickets-countdown-value').textContent !== text", arg=first
    )
    with scopes_disabled():
        assert CartPosition.objects.get().voucher.code == "HALF"
        Quota.objects.filter(pk=catalogue.shirts.pk).update(size=0)
    from django.core.cache import cache

    cache.clear()
    page.evaluate("htmx.trigger('#tickets-availability-refresh', 'tickets-refresh')")
    page.locator(f"#tickets-avail-v{catalogue.small.pk}").get_by_text("Sold out").wait_for()
    page.get_by_role("button", name="Remove").click()
    page.get_by_text("Your cart is empty.").wait_for()
    assert page.evaluate("window.stillTheSamePage") is True  # every step swapped in place
    assert not [error for error in errors if "Content Security Policy" in error or "htmx" in error]
