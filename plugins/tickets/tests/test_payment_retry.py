"""Paying again after a failed attempt, and refunding from the order page, for any provider."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import OrderPayment, OrderRefund
from eventyay_tickets.payment import BasePaymentProvider

from eventyay.testing.plugin import register_temporarily

from .conftest import ticket_position

pytestmark = pytest.mark.django_db


class RedirectingProvider(BasePaymentProvider):
    """Sends the buyer to a payment page of its own per payment; refunds by itself."""

    identifier = "redirecting"
    verbose_name = "Redirecting"
    enabled_by_default = True
    refunds_automatically = True
    refunded: ClassVar[list[int]] = []

    def execute_payment(self, *, request: Any, payment: OrderPayment) -> str:
        return f"https://pay.example/{payment.pk}"

    def execute_refund(self, *, refund: OrderRefund) -> None:
        self.refunded.append(refund.pk)


@pytest.fixture
def redirecting() -> Any:
    RedirectingProvider.refunded = []
    with register_temporarily("tickets", register_payment_providers=lambda event: [RedirectingProvider]):
        yield RedirectingProvider


@pytest.fixture
def order(catalogue: Any, redirecting: Any) -> Any:
    from eventyay_tickets.services import order_place

    with scope(organizer=catalogue.event.organizer):
        return order_place(
            event=catalogue.event,
            email="buyer@example.org",
            positions=[ticket_position(catalogue)],
            payment_provider="redirecting",
        )


def pay_url(order: Any) -> str:
    kwargs = {"organizer": "example", "event": "shop", "code": order.code, "secret": order.secret}
    return reverse("plugins:tickets:order.pay", kwargs=kwargs)


def payments_of(order: Any) -> list[OrderPayment]:
    with scopes_disabled():
        return list(OrderPayment.objects.filter(order_id=order.pk).order_by("local_id"))


def test_after_a_failed_payment_pay_now_starts_a_new_payment(order, client):
    from eventyay_tickets.services import order_mark_paid, payment_fail

    from eventyay.base.models import LogEntry

    [first] = payments_of(order)
    assert client.post(pay_url(order))["Location"] == f"https://pay.example/{first.pk}"
    with scope(organizer=order.event.organizer):
        first.order = order
        payment_fail(payment=first)
    assert "Pay now" in client.get(order.get_absolute_url()).content.decode()

    retried = client.post(pay_url(order))["Location"]
    client.post(pay_url(order))  # a second click starts nothing new
    failed, second = payments_of(order)
    assert retried == f"https://pay.example/{second.pk}"
    assert (failed.state, second.state, second.local_id, second.amount) == (
        "failed",
        "pending",
        2,
        order.total,
    )
    with scopes_disabled():
        assert LogEntry.objects.filter(action_type="eventyay_tickets.order.payment_retried").count() == 1

    with scope(organizer=order.event.organizer):
        order_mark_paid(order=order, provider="redirecting", send_email=False)
    assert "Pay now" not in client.get(order.get_absolute_url()).content.decode()
    assert client.post(pay_url(order))["Location"] == order.get_absolute_url()
    assert len(payments_of(order)) == 2


def test_the_order_page_refunds_through_a_provider_that_refunds_itself(
    catalogue, order, user, client_for, django_capture_on_commit_callbacks
):
    from eventyay_tickets.services import order_mark_paid

    with scope(organizer=catalogue.event.organizer):
        order_mark_paid(order=order, provider="redirecting", send_email=False)
    page_url = f"/control/event/example/shop/tickets/orders/{order.code}/"
    client = client_for(user)
    assert 'id="refund-payment-1"' in client.get(page_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page_url + "payments/1/refund/", {"refund-1-amount": "25.00", "refund-1-left": "100.00"}
        )
    assert response.status_code == 302
    with scopes_disabled():
        [refund] = OrderRefund.objects.filter(order_id=order.pk)
    assert RedirectingProvider.refunded == [refund.pk]
    assert (refund.state, str(refund.amount)) == ("done", "25.00")


def test_payments_a_provider_cannot_refund_have_no_refund_form(catalogue, user, client_for):
    from eventyay_tickets.services import order_mark_paid, order_place

    with scope(organizer=catalogue.event.organizer):
        order = order_place(
            event=catalogue.event,
            email="buyer@example.org",
            positions=[ticket_position(catalogue)],
            payment_provider="banktransfer",
        )
        order_mark_paid(order=order, provider="banktransfer", send_email=False)
    page = client_for(user).get(f"/control/event/example/shop/tickets/orders/{order.code}/")
    assert page.status_code == 200 and 'id="payment-1"' in page.content.decode()
    assert "refund-payment-1" not in page.content.decode()
