"""A full purchase with a voucher through the shop, in headless Chromium."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled
from eventyay_tickets.models import Order


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_buy_a_ticket_with_a_voucher(live_server, catalogue, chromium):
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/example/shop/")
    page.get_by_role("link", name="Buy tickets").click()
    page.get_by_label("Voucher code").fill("HALF")
    page.get_by_role("button", name="Redeem voucher").click()
    page.get_by_text("Voucher HALF is active").wait_for()  # swapped in by HTMX
    page.get_by_label("Number of Ticket").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    countdown = page.locator(".tickets-countdown-value")
    countdown.wait_for()
    # The script takes over the server-rendered minutes once HTMX has settled the swap.
    page.wait_for_function(
        "() => document.querySelector('.tickets-countdown-value').textContent.includes(':')"
    )
    page.get_by_role("link", name="Proceed with checkout").click()
    page.locator("#id_email").fill("ada@example.org")
    page.get_by_label("Email address (again)").fill("ada@example.org")
    page.get_by_label("Attendee name").fill("Ada Lovelace")
    page.get_by_label("Company").fill("Analytical Engines Ltd")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("50.00 EUR").first.is_visible()
    page.get_by_role("button", name="Place binding order").click()
    page.wait_for_url("**/tickets/order/**")
    assert page.get_by_role("heading", name="Order").is_visible()
    assert page.get_by_text("Please transfer 50.00 EUR").is_visible()
    assert not [error for error in errors if "Content Security Policy" in error]
    with scopes_disabled():
        order = Order.objects.get()
        position = order.positions.get()
    assert order.total == Decimal("50.00") and order.status == "pending"
    assert position.attendee_name == "Ada Lovelace" and position.voucher.code == "HALF"
