"""Refunds: the organizer's partial refund goes to Stripe once; Stripe's own refunds are recorded."""

from __future__ import annotations

import pytest
from django_scopes import scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(shop, place, fake, deliver):
    from eventyay_tickets.services import order_payment_start

    order = place()
    with scope(organizer=shop.event.organizer):
        order_payment_start(order=order, request=None)
    session_id = next(iter(fake.objects))
    session = fake.pay(session_id)
    assert deliver("checkout.session.completed", {"id": session_id}).status_code == 200
    charge = fake.objects[session["payment_intent"]]["latest_charge"]
    return order, charge


def refunds_of(order):
    """Read from the database: the order object caches its (empty) refunds since placing."""
    from eventyay_tickets.models import OrderRefund

    return OrderRefund.objects.filter(order_id=order.pk)


def payments_of(order):
    from eventyay_tickets.models import OrderPayment

    return OrderPayment.objects.filter(order_id=order.pk)


def refund_url(order, payment=1):
    return (
        f"/api/v1/organizers/{order.event.organizer.slug}/events/{order.event.slug}"
        f"/orders/{order.code}/payments/{payment}/refund/"
    )


def test_a_partial_refund_sends_exactly_one_refund_request(
    shop, paid, fake, api_client, django_capture_on_commit_callbacks
):
    order, _charge = paid
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(refund_url(order), {"amount": "30.00"}, format="json")
    assert response.status_code == 201, response.content
    [sent] = fake.posts("/v1/refunds")
    with scope(organizer=shop.event.organizer):
        refund = refunds_of(order).get()
        assert refund.state == "done" and str(refund.amount) == "30.00"
        assert payments_of(order).get().state == "confirmed"  # partly refunded, still paid
    assert sent.params["amount"] == "3000"
    assert sent.idempotency_key == f"eventyay-refund-{refund.pk}"
    assert sent.params["payment_intent"] == fake.objects[sent.params["payment_intent"]]["id"]
    assert response.json()["local_id"] == 1
    detail = api_client.get(
        f"/api/v1/organizers/{order.event.organizer.slug}/events/{order.event.slug}/orders/{order.code}/"
    ).json()
    assert detail["refunds"][0]["details"] == {"refund": refund.info["stripe_refund"]}
    assert detail["payments"][0]["details"]["payment_intent"].startswith("pi_")
    assert detail["payments"][0]["provider"] == "stripe"


def test_a_refund_beyond_what_is_left_is_a_400_naming_the_field(shop, paid, fake, api_client):
    order, _charge = paid
    response = api_client.post(refund_url(order), {"amount": "100.01"}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not fake.posts("/v1/refunds")
    assert api_client.post(refund_url(order, payment=9), {}, format="json").status_code == 404


def test_our_refund_reported_back_by_webhook_is_not_recorded_twice(
    shop, paid, fake, api_client, deliver, django_capture_on_commit_callbacks
):
    order, charge = paid
    with django_capture_on_commit_callbacks(execute=True):
        sent = api_client.post(refund_url(order), {"amount": "30.00"}, format="json")
    assert sent.status_code == 201, sent.content
    assert deliver("charge.refunded", {"id": charge, "object": "charge"}).status_code == 200
    with scope(organizer=shop.event.organizer):
        assert refunds_of(order).count() == 1


def test_a_pending_refund_is_finished_by_refund_updated(
    shop, paid, fake, api_client, deliver, django_capture_on_commit_callbacks
):
    order, _charge = paid
    fake.refund_status = "pending"
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(refund_url(order), {}, format="json")
    with scope(organizer=shop.event.organizer):
        refund = refunds_of(order).get()
    assert refund.state == "transit"
    stripe_refund = fake.objects[refund.info["stripe_refund"]]
    stripe_refund["status"] = "succeeded"
    assert deliver("refund.updated", {"id": stripe_refund["id"], "object": "refund"}).status_code == 200
    refund.refresh_from_db()
    assert refund.state == "done"
    assert len(fake.posts("/v1/refunds")) == 1


def test_a_dashboard_refund_appears_as_an_external_refund(shop, paid, fake, deliver):
    order, charge = paid
    fake.dashboard_refund(charge, 2500)
    assert deliver("charge.refunded", {"id": charge, "object": "charge"}).status_code == 200
    assert deliver("charge.refunded", {"id": charge, "object": "charge"}).status_code == 200
    with scope(organizer=shop.event.organizer):
        [refund] = refunds_of(order).all()
    assert refund.state == "done" and str(refund.amount) == "25.00"
    assert refund.info["public"]["refund"].startswith("re_")
    assert not fake.posts("/v1/refunds")


def test_a_lost_dispute_appears_as_an_external_refund(shop, paid, fake, deliver):
    order, charge = paid
    dispute = fake.dispute(charge, "needs_response")
    assert deliver("charge.dispute.created", {"id": dispute["id"], "object": "dispute"}).status_code == 200
    with scope(organizer=shop.event.organizer):
        assert not refunds_of(order).exists()
        assert payments_of(order).get().info["public"]["dispute"] == dispute["id"]
    dispute["status"] = "lost"
    assert deliver("charge.dispute.closed", {"id": dispute["id"], "object": "dispute"}).status_code == 200
    with scope(organizer=shop.event.organizer):
        [refund] = refunds_of(order).all()
        assert refund.state == "done" and str(refund.amount) == "100.00"
        assert payments_of(order).get().state == "refunded"
