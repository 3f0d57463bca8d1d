"""The buyer's way through Stripe Checkout, and what the order shows afterwards."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scope

pytestmark = pytest.mark.django_db


def start(order):
    from eventyay_tickets.services import order_payment_start

    with scope(organizer=order.event.organizer):
        return order_payment_start(order=order, request=None)


def refreshed(order):
    with scope(organizer=order.event.organizer):
        order.refresh_from_db()
        return order


def test_the_checkout_flow_from_session_to_paid_order_with_tickets_mailed(shop, place, fake, deliver, client):
    order = place()
    url = start(order)
    [created] = fake.posts("/v1/checkout/sessions")
    payment = order.payments.get()
    session_id = next(iter(fake.objects))
    # The shop's POST ends on our page (CSP form-action 'self'), which navigates on to Stripe.
    assert (
        url
        == f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/order/{order.code}/{order.secret}/checkout/"
    )
    onward = client.get(url).content.decode()
    assert f'content="0;url=https://checkout.stripe.test/c/pay/{session_id}"' in onward
    assert created.idempotency_key == f"eventyay-payment-{payment.pk}-1"
    params = created.params
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == order.code
    assert params["line_items[0][price_data][unit_amount]"] == "10000"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["metadata[order]"] == order.code and params["metadata[payment]"] == str(payment.pk)
    assert params["payment_intent_data[metadata][payment]"] == str(payment.pk)
    assert params["customer_email"] == "buyer@example.org"
    assert urlsplit(params["cancel_url"]).path == order.get_absolute_url()
    assert params["success_url"].endswith("/return/?session_id={CHECKOUT_SESSION_ID}")
    assert f"/stripe/order/{order.code}/{order.secret}/" in params["success_url"]

    session = fake.pay(session_id)
    mail.outbox.clear()
    response = deliver("checkout.session.completed", {"id": session["id"], "object": "checkout.session"})
    assert response.status_code == 200
    assert refreshed(order).status == "paid"
    payment.refresh_from_db()
    assert payment.state == "confirmed"
    assert payment.info["public"] == {
        "checkout_session": session["id"],
        "payment_intent": session["payment_intent"],
    }
    [paid_mail] = [m for m in mail.outbox if m.subject.startswith("Payment received")]
    assert any(name.endswith(".pdf") for name, _data, _type in paid_mail.attachments)


def test_the_session_follows_the_payment_deadline_within_stripes_window(shop, place, fake):
    order = place()
    with scope(organizer=shop.event.organizer):
        order.expires = timezone.now() + dt.timedelta(hours=3)
        order.save(update_fields=["expires"])
    start(order)
    [created] = fake.posts("/v1/checkout/sessions")
    assert abs(int(created.params["expires_at"]) - order.expires.timestamp()) < 2

    later = place()
    with scope(organizer=shop.event.organizer):
        later.expires = timezone.now() + dt.timedelta(days=14)
        later.save(update_fields=["expires"])
    start(later)
    expires_at = int(fake.posts("/v1/checkout/sessions")[-1].params["expires_at"])
    assert expires_at <= (timezone.now() + dt.timedelta(hours=24)).timestamp()


def test_return_and_webhook_racing_confirm_once(
    shop, place, fake, deliver, client, django_capture_on_commit_callbacks
):
    order = place()
    start(order)
    session_id = next(iter(fake.objects))
    fake.pay(session_id)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        returned = client.get(
            f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/order/{order.code}/{order.secret}/return/",
            {"session_id": session_id},
        )
    assert returned.status_code == 302 and returned["Location"] == order.get_absolute_url()
    assert deliver("checkout.session.completed", {"id": session_id}).status_code == 200
    assert refreshed(order).status == "paid"
    with scope(organizer=shop.event.organizer):
        from eventyay.base.models import LogEntry

        assert (
            LogEntry.objects.filter(action_type="eventyay_tickets.order.paid", event=shop.event).count() == 1
        )
    assert len([m for m in mail.outbox if m.subject.startswith("Payment received")]) == 1


def test_a_delayed_payment_shows_pending_and_finishes_by_webhook(shop, place, fake, deliver, client):
    order = place()
    start(order)
    session_id = next(iter(fake.objects))
    fake.pay(session_id, delayed=True)
    assert deliver("checkout.session.completed", {"id": session_id}).status_code == 200
    assert refreshed(order).status == "pending"
    page = client.get(order.get_absolute_url())
    assert "Payment pending" in page.content.decode()
    fake.settle(session_id)
    assert deliver("checkout.session.async_payment_succeeded", {"id": session_id}).status_code == 200
    assert refreshed(order).status == "paid"


def test_cancelling_at_stripe_leaves_the_payment_retryable(shop, place, fake, client):
    order = place()
    start(order)
    first = next(iter(fake.objects))
    page = client.get(order.get_absolute_url())
    assert 'data-testid="stripe-pay"' in page.content.decode()
    pay_url = f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/order/{order.code}/{order.secret}/pay/"
    again = client.get(client.post(pay_url)["Location"]).content.decode()
    assert f"pay/{first}" in again  # the open session is reused, not a second charge
    assert len(fake.posts("/v1/checkout/sessions")) == 1
    fake.objects[first]["status"] = "expired"
    retried = client.get(client.post(pay_url)["Location"]).content.decode()
    keys = [r.idempotency_key for r in fake.posts("/v1/checkout/sessions")]
    payment = order.payments.get()
    assert keys == [f"eventyay-payment-{payment.pk}-1", f"eventyay-payment-{payment.pk}-2"]
    second = list(fake.objects)[-1]
    assert second != first and f"pay/{second}" in retried


def test_expiring_an_order_expires_its_open_session(shop, place, fake, django_capture_on_commit_callbacks):
    from eventyay_tickets.services import order_expire

    order = place()
    start(order)
    session_id = next(iter(fake.objects))
    with scope(organizer=shop.event.organizer):
        order.expires = timezone.now() - dt.timedelta(minutes=1)
        order.save(update_fields=["expires"])
        with django_capture_on_commit_callbacks(execute=True):
            order_expire(order=order)
    [expired] = fake.posts(f"/v1/checkout/sessions/{session_id}/expire")
    assert expired.idempotency_key == f"eventyay-payment-{order.payments.get().pk}-expire-{session_id}"
    assert fake.objects[session_id]["status"] == "expired"


def payments_of(order):
    from eventyay_tickets.models import OrderPayment

    with scope(organizer=order.event.organizer):
        return list(OrderPayment.objects.filter(order_id=order.pk).order_by("local_id"))


def pay_url(order):
    return f"/{order.event.organizer.slug}/{order.event.slug}/stripe/order/{order.code}/{order.secret}/pay/"


def test_a_failed_delayed_payment_can_be_paid_again_with_a_new_attempt(shop, place, fake, deliver, client):
    order = place()
    start(order)
    first_session = next(iter(fake.objects))
    fake.pay(first_session, delayed=True)
    assert deliver("checkout.session.completed", {"id": first_session}).status_code == 200
    processing = client.get(order.get_absolute_url()).content.decode()
    assert "Payment pending" in processing and 'data-testid="stripe-pay"' not in processing

    fake.bounce(first_session)
    assert deliver("checkout.session.async_payment_failed", {"id": first_session}).status_code == 200
    assert refreshed(order).status == "pending"
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="stripe-pay"' in page and "Payment pending" not in page

    onward = client.get(client.post(pay_url(order))["Location"]).content.decode()
    # A double click reuses the new attempt's open session.
    assert client.get(client.post(pay_url(order))["Location"]).content.decode() == onward
    failed, retry = payments_of(order)
    assert (failed.state, retry.state) == ("failed", "pending")
    assert (retry.local_id, retry.amount) == (2, order.total)
    keys = [r.idempotency_key for r in fake.posts("/v1/checkout/sessions")]
    assert keys == [f"eventyay-payment-{failed.pk}-1", f"eventyay-payment-{retry.pk}-1"]
    second_session = list(fake.objects)[-1]
    assert f"pay/{second_session}" in onward
    assert fake.posts("/v1/checkout/sessions")[-1].params["metadata[payment]"] == str(retry.pk)

    fake.pay(second_session)
    assert deliver("checkout.session.completed", {"id": second_session}).status_code == 200
    assert refreshed(order).status == "paid"
    assert [p.state for p in payments_of(order)] == ["failed", "confirmed"]
    paid_page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="stripe-pay"' not in paid_page and "Please pay by" not in paid_page


def test_an_expired_session_is_paid_with_a_new_attempt_of_the_same_payment(
    shop, place, fake, deliver, client
):
    order = place()
    start(order)
    first_session = next(iter(fake.objects))
    fake.objects[first_session]["status"] = "expired"
    assert deliver("checkout.session.expired", {"id": first_session}).status_code == 200
    assert 'data-testid="stripe-pay"' in client.get(order.get_absolute_url()).content.decode()
    client.post(pay_url(order))
    [payment] = payments_of(order)
    assert payment.state == "pending" and payment.info["stripe_session"] != first_session
    keys = [r.idempotency_key for r in fake.posts("/v1/checkout/sessions")]
    assert keys == [f"eventyay-payment-{payment.pk}-1", f"eventyay-payment-{payment.pk}-2"]


def test_an_order_paid_meanwhile_shows_no_pay_button_and_starts_no_attempt(
    shop, place, fake, deliver, client
):
    from eventyay_tickets.services import order_mark_paid

    order = place()
    start(order)
    first_session = next(iter(fake.objects))
    fake.pay(first_session, delayed=True)
    fake.bounce(first_session)
    assert deliver("checkout.session.async_payment_failed", {"id": first_session}).status_code == 200
    with scope(organizer=shop.event.organizer):
        order_mark_paid(order=order, send_email=False)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="stripe-pay"' not in page
    assert client.post(pay_url(order))["Location"] == order.get_absolute_url()
    assert len(fake.posts("/v1/checkout/sessions")) == 1
    assert [p.state for p in payments_of(order)] == ["failed", "confirmed"]


def test_an_order_past_its_deadline_starts_no_attempt(shop, place, fake, deliver, client):
    order = place()
    start(order)
    first_session = next(iter(fake.objects))
    fake.pay(first_session, delayed=True)
    fake.bounce(first_session)
    assert deliver("checkout.session.async_payment_failed", {"id": first_session}).status_code == 200
    with scope(organizer=shop.event.organizer):
        order.expires = timezone.now() - dt.timedelta(minutes=1)
        order.save(update_fields=["expires"])
    assert client.post(pay_url(order))["Location"] == order.get_absolute_url()
    assert len(fake.posts("/v1/checkout/sessions")) == 1
    assert [p.state for p in payments_of(order)] == ["failed"]
