"""Refunds from the control panel's order page: through the same service as the API, so Stripe
gets exactly one refund request per refund, keyed by the refund's id."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(shop, place, fake, deliver):
    from eventyay_tickets.services import order_payment_start

    order = place()
    with scope(organizer=shop.event.organizer):
        order_payment_start(order=order, request=None)
    session_id = next(iter(fake.objects))
    fake.pay(session_id)
    assert deliver("checkout.session.completed", {"id": session_id}).status_code == 200
    return order


def page_url(order):
    return f"/control/event/{order.event.organizer.slug}/{order.event.slug}/tickets/orders/{order.code}/"


def refund_url(order, payment=1):
    return page_url(order) + f"payments/{payment}/refund/"


def refunds_of(order):
    from eventyay_tickets.models import OrderRefund

    with scopes_disabled():
        return list(OrderRefund.objects.filter(order_id=order.pk))


def member_with(organizer, email, permissions):
    from eventyay.base.models import User
    from eventyay.base.services.teams import team_member_add, team_save

    member = User.objects.create_user(email, "a long enough password")
    with scopes_disabled():
        team = team_save(organizer=organizer, name=email, permissions=permissions, all_events=True)
        team_member_add(team=team, user=member)
    return member


def post(client, url, data, capture):
    with capture(execute=True):
        return client.post(url, data)


def test_a_partial_refund_from_the_order_page_sends_one_keyed_refund_request(
    shop, paid, fake, user, client_for, django_capture_on_commit_callbacks
):
    from eventyay.base.models import LogEntry

    client = client_for(user)
    page = client.get(page_url(paid)).content.decode()
    assert 'name="refund-1-left" value="100.00"' in page and "Refund payment 1" in page

    response = post(
        client,
        refund_url(paid),
        {"refund-1-amount": "30.00", "refund-1-left": "100.00"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302 and response["Location"] == page_url(paid)
    [sent] = fake.posts("/v1/refunds")
    [refund] = refunds_of(paid)
    assert sent.idempotency_key == f"eventyay-refund-{refund.pk}"
    assert sent.params["amount"] == "3000"
    assert refund.state == "done" and str(refund.amount) == "30.00"
    with scopes_disabled():
        [logged] = LogEntry.objects.filter(action_type="eventyay_tickets.order.refund_created")
    assert logged.user == user and logged.data["amount"] == "30.00"

    after = client.get(page_url(paid)).content.decode()
    assert f"<code>{refund.info['stripe_refund']}</code>" in after
    assert 'name="refund-1-left" value="70.00"' in after


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"refund-1-amount": "100.01"}, "The amount must be more than zero and at most 100.00."),
        ({"refund-1-amount": "0"}, "Ensure this value is greater than or equal to 0.01."),
        ({"refund-1-amount": "thirty"}, "Enter a number."),
        (
            {"refund-1-amount": "10.00", "refund-1-left": None},
            "This form is outdated; please reload the page.",
        ),
    ],
)
def test_a_bad_amount_is_a_form_error_and_sends_nothing(
    shop, paid, fake, user, client_for, django_capture_on_commit_callbacks, data, error
):
    sent = {k: v for k, v in {"refund-1-left": "100.00", **data}.items() if v is not None}
    response = post(client_for(user), refund_url(paid), sent, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not fake.posts("/v1/refunds") and not refunds_of(paid)


def test_the_same_form_submitted_twice_refunds_once(
    shop, paid, fake, user, client_for, django_capture_on_commit_callbacks
):
    client = client_for(user)
    data = {"refund-1-amount": "60.00", "refund-1-left": "100.00"}
    assert post(client, refund_url(paid), data, django_capture_on_commit_callbacks).status_code == 302
    again = post(client, refund_url(paid), data, django_capture_on_commit_callbacks)
    assert again.status_code == 400
    body = again.content.decode()
    assert "This payment was refunded meanwhile; 40.00 is left." in body
    # The form comes back with what is left now, so the organizer can correct and resend it.
    assert 'name="refund-1-left" value="40.00"' in body
    assert len(fake.posts("/v1/refunds")) == 1 and len(refunds_of(paid)) == 1

    rest = post(client, refund_url(paid), {"refund-1-left": "40.00"}, django_capture_on_commit_callbacks)
    assert rest.status_code == 302
    assert [r.params["amount"] for r in fake.posts("/v1/refunds")] == ["6000", "4000"]
    assert 'id="refund-payment-1"' not in client.get(page_url(paid)).content.decode()


def test_only_members_allowed_to_change_orders_may_refund(
    shop, paid, fake, organizer, other_organizer, client_for, django_capture_on_commit_callbacks
):
    data = {"refund-1-amount": "10.00", "refund-1-left": "100.00"}
    outsider = post(
        client_for(other_organizer.member), refund_url(paid), data, django_capture_on_commit_callbacks
    )
    assert outsider.status_code == 404
    reader = member_with(organizer, "reader@example.org", ["event.orders:read"])
    assert (
        post(client_for(reader), refund_url(paid), data, django_capture_on_commit_callbacks).status_code
        == 403
    )
    assert client_for(reader).get(refund_url(paid)).status_code == 405
    assert not fake.posts("/v1/refunds") and not refunds_of(paid)
    writer = member_with(organizer, "writer@example.org", ["event.orders:read", "event.orders:write"])
    assert (
        post(client_for(writer), refund_url(paid), data, django_capture_on_commit_callbacks).status_code
        == 302
    )
    assert len(fake.posts("/v1/refunds")) == 1
    assert client_for(writer).post(refund_url(paid, payment=9), data).status_code == 404
