"""The buyer walks the shop in headless Chromium and is sent to Stripe Checkout."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_shop_sends_the_buyer_to_stripe_checkout(live_server, shop, fake, chromium):
    from eventyay_tickets.models import Order

    page = chromium.new_page()
    # Stripe's hosted page is the recorded fake's URL; answer it here, nothing leaves the machine.
    page.route(
        "https://checkout.stripe.test/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Stripe Checkout</h1>"),
    )
    page.goto(f"{live_server.url}/example/shop/")
    page.get_by_role("link", name="Buy tickets").click()
    page.get_by_label("Number of Ticket").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Proceed with checkout").click()
    page.locator("#id_email").fill("ada@example.org")
    page.get_by_label("Email address (again)").fill("ada@example.org")
    page.get_by_label("Attendee name").fill("Ada Lovelace")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Credit card and wallets").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Place binding order").click()
    page.wait_for_url("https://checkout.stripe.test/c/pay/cs_test_*")
    assert page.get_by_role("heading", name="Stripe Checkout").is_visible()
    [created] = fake.posts("/v1/checkout/sessions")
    with scopes_disabled():
        order = Order.objects.get()
        payment = order.payments.get()
    assert created.params["client_reference_id"] == order.code
    assert created.idempotency_key == f"eventyay-payment-{payment.pk}-1"
    assert payment.state == "pending" and payment.info["stripe_session"] in page.url
