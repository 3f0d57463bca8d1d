"""Webhooks: only signed, fresh, well-formed deliveries act, and each Stripe event acts once."""

from __future__ import annotations

import json
import time

import pytest
from django_scopes import scope

from .conftest import WEBHOOK_SECRET
from .fakestripe import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_session(shop, place, fake):
    from eventyay_tickets.services import order_payment_start

    order = place()
    with scope(organizer=shop.event.organizer):
        order_payment_start(order=order, request=None)
    session_id = next(iter(fake.objects))
    fake.pay(session_id)
    return order, session_id


def status_of(order):
    with scope(organizer=order.event.organizer):
        order.refresh_from_db()
    return order.status


def test_a_tampered_body_is_refused_and_changes_nothing(shop, paid_session, fake, client):
    order, session_id = paid_session
    body = json.dumps(fake.event("checkout.session.completed", {"id": session_id})).encode()
    header = sign(body, WEBHOOK_SECRET)
    tampered = body.replace(b'"livemode": false', b'"livemode": true')
    response = client.post(
        f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/webhook/",
        data=tampered,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 400
    assert status_of(order) == "pending"
    assert fake.requests[-1].path == "/v1/checkout/sessions"  # nothing was fetched for it


def test_a_wrong_secret_a_stale_timestamp_and_bad_json_answer_400(shop, paid_session, deliver, client):
    order, session_id = paid_session
    assert deliver("checkout.session.completed", {"id": session_id}, secret="whsec_other").status_code == 400
    stale = int(time.time()) - 301
    assert deliver("checkout.session.completed", {"id": session_id}, timestamp=stale).status_code == 400
    body = b"{not json"
    response = client.post(
        f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET),
    )
    assert response.status_code == 400
    assert status_of(order) == "pending"


def test_a_rotated_secret_is_accepted_alongside_the_old_one(shop, paid_session, deliver):
    from eventyay.base.secrets import secret_encrypt

    order, session_id = paid_session
    settings = dict(shop.event.settings.get("tickets_payment_stripe"))
    settings["webhook_secrets"] = secret_encrypt(f"whsec_new_secret_0002,{WEBHOOK_SECRET}")
    shop.event.settings.set("tickets_payment_stripe", settings)
    assert (
        deliver("checkout.session.completed", {"id": session_id}, secret="whsec_new_secret_0002").status_code
        == 200
    )
    assert status_of(order) == "paid"


def test_a_duplicate_event_is_processed_once(shop, paid_session, fake, deliver):
    from eventyay_stripe.models import StripeEvent

    order, session_id = paid_session
    event = fake.event("checkout.session.completed", {"id": session_id})
    first = deliver("", {}, event=event)
    fetches = len(fake.requests)
    second = deliver("", {}, event=event)
    assert first.status_code == second.status_code == 200
    assert second.json() == {"received": True, "duplicate": True}
    assert len(fake.requests) == fetches  # the second delivery did not even ask Stripe
    with scope(organizer=shop.event.organizer):
        assert StripeEvent.objects.filter(stripe_id=event["id"]).count() == 1
    assert status_of(order) == "paid"


def test_the_object_is_fetched_again_instead_of_trusting_the_payload(shop, place, fake, deliver):
    from eventyay_tickets.services import order_payment_start

    order = place()
    with scope(organizer=shop.event.organizer):
        order_payment_start(order=order, request=None)
    session_id = next(iter(fake.objects))
    # The payload claims "paid", Stripe itself says the session is still open and unpaid.
    forged = {"id": session_id, "object": "checkout.session", "payment_status": "paid"}
    assert deliver("checkout.session.completed", forged).status_code == 200
    assert status_of(order) == "pending"


def test_a_busy_order_answers_503_for_stripe_to_retry(shop, paid_session, deliver, monkeypatch):
    from eventyay_stripe import services
    from eventyay_stripe.models import StripeEvent
    from eventyay_tickets.services import CapacityBusy

    order, session_id = paid_session

    def busy(**kwargs):
        raise CapacityBusy()

    monkeypatch.setattr(services, "session_apply", busy)
    response = deliver("checkout.session.completed", {"id": session_id})
    assert response.status_code == 503 and response["Retry-After"] == "1"
    with scope(organizer=shop.event.organizer):
        assert not StripeEvent.objects.exists()  # rolled back: the retry will act
    monkeypatch.undo()
    assert status_of(order) == "pending"


def test_a_payment_of_another_event_is_ignored(shop, paid_session, fake, deliver):
    order, session_id = paid_session
    fake.objects[session_id]["metadata"]["event"] = str(shop.event.pk + 1000)
    assert deliver("checkout.session.completed", {"id": session_id}).status_code == 200
    assert status_of(order) == "pending"


def test_the_webhook_of_an_event_without_stripe_is_404(make_event, client):
    other = make_event(slug="nostripe", plugins=["tickets"])
    response = client.post(
        f"/{other.organizer.slug}/{other.slug}/stripe/webhook/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
