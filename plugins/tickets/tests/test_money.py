"""Money and orders under failure: double confirms, redelivered refund tasks, late payments,
one broken event in the expiry sweep."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.db import connections
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import CartPosition, Order, OrderPayment, OrderRefund, Quota
from eventyay_tickets.payment import BasePaymentProvider
from eventyay_tickets.services import (
    OrderError,
    cart_add,
    order_accept_over_quota,
    order_cancel,
    order_expire_if_due,
    order_mark_paid,
    order_place,
    order_place_from_cart,
    payment_confirm,
    refund_execute,
    refunds_retry_stale,
)

from eventyay.base.models import EventPlugin, LogEntry, OutgoingMail
from eventyay.testing.plugin import register_temporarily

from .conftest import ticket_position

pytestmark = pytest.mark.django_db


class RefundingProvider(BasePaymentProvider):
    """Pays and refunds by itself; counts the refunds it was asked to send."""

    identifier = "autorefund"
    verbose_name = "Auto refund"
    enabled_by_default = True
    refunds_automatically = True
    sent: ClassVar[list[int]] = []

    def execute_refund(self, *, refund: OrderRefund) -> None:
        self.sent.append(refund.pk)


@pytest.fixture
def refunding() -> Any:
    RefundingProvider.sent = []
    with register_temporarily("tickets", register_payment_providers=lambda event: [RefundingProvider]):
        yield RefundingProvider


def _attendees(catalogue: Any) -> list[dict[str, Any]]:
    return [{"attendee_name": "Ada", "answers": [{"question": catalogue.question.pk, "answer": "ACME"}]}]


def _from_cart(catalogue: Any, cart_id: str) -> Order:
    return order_place_from_cart(
        event=catalogue.event,
        cart_id=cart_id,
        email="buyer@example.org",
        attendees=_attendees(catalogue),
        payment_provider="banktransfer",
    )


def _paid_order(catalogue: Any, provider: str = "autorefund") -> Order:
    order = order_place(
        event=catalogue.event,
        email="buyer@example.org",
        positions=[ticket_position(catalogue)],
        payment_provider="banktransfer",
    )
    order_mark_paid(order=order, provider=provider)
    return order


# --- one cart, one order ---------------------------------------------------------------------


def test_a_second_confirm_of_an_already_read_cart_places_no_second_order(catalogue, scoped, monkeypatch):
    """Both confirms of a double click read the cart before either writes."""
    import eventyay_tickets.selectors as selectors

    cart_add(event=catalogue.event, cart_id="c1", items=[{"product": catalogue.ticket.pk, "count": 1}])
    snapshot = list(selectors.cart_positions(catalogue.event, "c1"))
    first = _from_cart(catalogue, "c1")
    monkeypatch.setattr(selectors, "cart_positions", lambda event, cart_id: snapshot)
    with pytest.raises(OrderError) as info:
        _from_cart(catalogue, "c1")
    assert "already been turned into an order" in info.value.messages[0]
    assert list(Order.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirms_of_one_cart_make_one_order(catalogue, monkeypatch):
    """A real race on PostgreSQL: both threads have prepared the cart before either writes."""
    import eventyay_tickets.services.orders as orders

    with scope(organizer=catalogue.event.organizer):
        cart_add(event=catalogue.event, cart_id="c2", items=[{"product": catalogue.ticket.pk, "count": 2}])
    barrier = threading.Barrier(2, timeout=30)
    prepare = orders.prepare_positions

    def prepared_together(**kwargs: Any) -> Any:
        result = prepare(**kwargs)
        barrier.wait()
        return result

    monkeypatch.setattr(orders, "prepare_positions", prepared_together)

    def confirm(_i: int) -> str:
        try:
            with scope(organizer=catalogue.event.organizer):
                order_place_from_cart(
                    event=catalogue.event,
                    cart_id="c2",
                    email="buyer@example.org",
                    attendees=_attendees(catalogue) * 2,
                    payment_provider="banktransfer",
                )
            return "order"
        except OrderError as exc:
            return "cart" if "cart" in exc.message_dict else repr(exc.message_dict)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(confirm, range(2)))
    assert outcomes == ["cart", "order"]
    with scopes_disabled():
        assert Order.objects.count() == 1
        assert Order.objects.get().positions.count() == 2
        assert not CartPosition.objects.exists()


# --- refunds are sent once -------------------------------------------------------------------


def test_a_redelivered_refund_task_refunds_once(
    catalogue, scoped, refunding, django_capture_on_commit_callbacks
):
    from eventyay_tickets.tasks import execute_refund

    order = _paid_order(catalogue)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order)
    refund = OrderRefund.objects.get()
    assert refund.state == OrderRefund.State.DONE
    execute_refund(refund.pk)  # the broker delivers the same task again
    refund_execute(refund=refund)
    assert refunding.sent == [refund.pk]
    assert LogEntry.objects.filter(action_type="eventyay_tickets.order.refunded").count() == 1


def test_a_refund_claimed_by_one_worker_is_not_sent_by_another(catalogue, scoped, refunding):
    from eventyay_tickets.services import refund_claim

    order = _paid_order(catalogue)
    order_cancel(order=order)  # callbacks not run: the task is still on its way
    refund = OrderRefund.objects.get()
    assert refund_claim(refund_id=refund.pk) is not None
    assert refund_claim(refund_id=refund.pk) is None
    stale = OrderRefund.objects.get(pk=refund.pk)
    stale.state = OrderRefund.State.CREATED  # what a worker read before the claim
    refund_execute(refund=stale)
    assert refunding.sent == []


def test_a_broker_error_after_commit_leaves_the_refund_for_the_sweep(
    catalogue, scoped, refunding, monkeypatch, django_capture_on_commit_callbacks
):
    from eventyay_tickets.tasks import execute_refund

    order = _paid_order(catalogue)

    def broker_down(*args: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(execute_refund, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order)
    assert Order.objects.get(pk=order.pk).status == "canceled"
    refund = OrderRefund.objects.get()
    assert refund.state == OrderRefund.State.CREATED
    monkeypatch.undo()
    assert refunds_retry_stale(event=catalogue.event) == 0  # not overdue yet
    later = timezone.now() + dt.timedelta(minutes=11)
    assert refunds_retry_stale(event=catalogue.event, now=later) == 1
    refund.refresh_from_db()
    assert refund.state == OrderRefund.State.DONE
    assert refunding.sent == [refund.pk]


def test_a_refund_whose_worker_died_is_failed_for_the_organizer_not_resent(catalogue, scoped, refunding):
    from eventyay_tickets.services import refund_claim

    order = _paid_order(catalogue)
    order_cancel(order=order)
    refund = refund_claim(refund_id=OrderRefund.objects.get().pk)
    assert refund is not None
    assert refunds_retry_stale(event=catalogue.event, now=timezone.now() + dt.timedelta(hours=2)) == 1
    refund.refresh_from_db()
    assert refund.state == OrderRefund.State.FAILED and "interrupted" in refund.info["error"]
    assert refunding.sent == []


# --- a late payment is never forgotten -------------------------------------------------------


def _expired_and_sold_out(catalogue: Any) -> Order:
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=1)
    order = order_place(
        event=catalogue.event,
        email="late@example.org",
        positions=[ticket_position(catalogue)],
        payment_provider="banktransfer",
    )
    Order.objects.filter(pk=order.pk).update(expires=timezone.now() - dt.timedelta(minutes=1))
    order.refresh_from_db()
    order = order_expire_if_due(order=order)
    order_place(
        event=catalogue.event,
        email="other@example.org",
        positions=[ticket_position(catalogue)],
        payment_provider="banktransfer",
    )
    return order


def test_a_payment_on_an_expired_sold_out_order_is_recorded_and_flagged(catalogue, scoped):
    order = _expired_and_sold_out(catalogue)
    payment = order.payments.get()
    payment_confirm(payment=payment)
    order.refresh_from_db()
    assert (order.status, order.paid_over_quota) == ("expired", True)
    assert OrderPayment.objects.get(pk=payment.pk).state == OrderPayment.State.CONFIRMED
    assert LogEntry.objects.filter(action_type="eventyay_tickets.order.paid_over_quota").count() == 1
    order_accept_over_quota(order=order)
    order.refresh_from_db()
    assert (order.status, order.paid_over_quota) == ("paid", False)
    with pytest.raises(OrderError):
        order_accept_over_quota(order=order)


def test_a_late_payment_is_refunded_at_once_when_the_organizer_chose_so(catalogue, scoped):
    EventPlugin.objects.filter(event=catalogue.event, name="tickets").update(
        settings={"refund_over_quota": True}
    )
    order = _expired_and_sold_out(catalogue)
    payment_confirm(payment=order.payments.get())
    order.refresh_from_db()
    assert (order.status, order.paid_over_quota) == ("canceled", False)
    refund = OrderRefund.objects.get(order=order)
    assert refund.amount == Decimal("100.00") and refund.state == OrderRefund.State.MANUAL


def test_confirming_a_payment_twice_pays_and_mails_once(catalogue, scoped):
    order = order_place(
        event=catalogue.event,
        email="buyer@example.org",
        positions=[ticket_position(catalogue)],
        payment_provider="banktransfer",
    )
    payment = order.payments.get()
    payment_confirm(payment=payment)
    payment_confirm(payment=OrderPayment.objects.get(pk=payment.pk))
    assert LogEntry.objects.filter(action_type="eventyay_tickets.order.paid").count() == 1
    # The payment mail is queued at once or noted for the task that attaches the tickets.
    noted = len(Order.objects.get(pk=order.pk).mails_awaiting_documents)
    queued = OutgoingMail.objects.filter(subject__icontains="Payment received").count()
    assert noted + queued == 1


def test_the_flag_and_its_actions_show_on_the_order_page(catalogue, client_for, user):
    with scope(organizer=catalogue.event.organizer):
        order = _expired_and_sold_out(catalogue)
        payment_confirm(payment=order.payments.get())
    client = client_for(user)
    url = f"/control/event/example/shop/tickets/orders/{order.code}/"
    page = client.get(url).content.decode()
    assert "Paid, but the quota was exhausted." in page and "accept_over_quota" in page
    response = client.post(url + "action/refund_over_quota/")
    assert response.status_code == 302
    with scopes_disabled():
        order.refresh_from_db()
        assert (order.status, order.paid_over_quota) == ("canceled", False)
        assert OrderRefund.objects.filter(order=order).count() == 1


# --- expiry isolation ------------------------------------------------------------------------


def test_one_broken_event_does_not_stop_the_expiry_of_others(catalogue, make_event, monkeypatch, caplog):
    import eventyay_tickets.services as services
    from eventyay_tickets.tasks import expire_due_orders

    broken = make_event(slug="broken", plugins=["tickets"])
    with scope(organizer=catalogue.event.organizer):
        order = order_place(
            event=catalogue.event,
            email="buyer@example.org",
            positions=[ticket_position(catalogue)],
            payment_provider="banktransfer",
        )
        Order.objects.filter(pk=order.pk).update(expires=timezone.now() - dt.timedelta(minutes=1))
    real = services.orders_expire_due

    def fails_for_one(*, event: Any, now: Any = None) -> int:
        if event.pk == broken.pk:
            raise RuntimeError("broken event")
        return real(event=event, now=now)

    monkeypatch.setattr(services, "orders_expire_due", fails_for_one)
    with caplog.at_level(logging.ERROR, logger="eventyay_tickets.tasks"):
        expire_due_orders()
    with scopes_disabled():
        assert Order.objects.get(pk=order.pk).status == "expired"
    assert any(str(broken.pk) in record.getMessage() for record in caplog.records)


# --- nothing after commit turns a placed order into an error --------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_broker_error_after_commit_still_answers_201_and_places_one_order(
    api_client, catalogue, monkeypatch
):
    import eventyay_tickets.services.notifications as notifications

    from eventyay.base.tasks import send_mail

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(send_mail, "delay", broker_down)
    monkeypatch.setattr(notifications, "notify", broker_down)
    url = "/api/v1/organizers/example/events/shop/orders/"
    body = {
        "email": "a@example.org",
        "payment_provider": "banktransfer",
        "positions": [ticket_position(catalogue)],
        "send_email": True,
    }
    first = api_client.post(url, body, format="json", HTTP_X_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == 201
    again = api_client.post(url, body, format="json", HTTP_X_IDEMPOTENCY_KEY="order-1")
    assert again.status_code == 201 and again.json() == first.json()
    with scopes_disabled():
        assert Order.objects.count() == 1
        # The mail is in the outbox, due now: the sweep sends it although its task was lost.
        assert OutgoingMail.objects.filter(subject__contains=Order.objects.get().code).count() == 1


# --- rate limits on the public cart and voucher codes ---------------------------------------

SHOP = "/example/shop/tickets/"


def test_adding_to_the_cart_too_often_answers_429_with_a_message(catalogue, client, monkeypatch):
    import eventyay_tickets.views.shop as shop

    monkeypatch.setattr(shop, "CART_RATE_LIMIT", "2/m")
    add = {f"product_{catalogue.ticket.pk}": "1"}
    assert [client.post(SHOP + "cart/add/", add).status_code for _i in range(2)] == [302, 302]
    blocked = client.post(SHOP + "cart/add/", add)
    assert blocked.status_code == 429 and blocked["Retry-After"] == "60"
    assert "too often" in blocked.content.decode()
    partial = client.post(SHOP + "cart/add/", add, HTTP_HX_REQUEST="true")
    assert partial.status_code == 429 and "too often" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    with scopes_disabled():
        assert CartPosition.objects.count() == 2


def test_a_new_session_from_the_same_address_is_limited_too(catalogue, client, monkeypatch):
    import eventyay_tickets.views.shop as shop
    from django.test import Client

    monkeypatch.setattr(shop, "CART_RATE_LIMIT", "2/m")
    add = {f"product_{catalogue.ticket.pk}": "1"}
    for _i in range(2):
        assert Client().post(SHOP + "cart/add/", add).status_code == 302
    assert Client().post(SHOP + "cart/add/", add).status_code == 429


def test_guessing_voucher_codes_is_limited(catalogue, client, monkeypatch):
    import eventyay_tickets.views.shop as shop

    monkeypatch.setattr(shop, "VOUCHER_RATE_LIMIT", "3/m")
    codes = [client.get(SHOP, {"voucher": f"GUESS{i}"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(SHOP).status_code == 200  # the shop itself stays open
