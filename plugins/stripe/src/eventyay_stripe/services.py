"""Checkout, confirmation, refunds and webhook handling for Stripe payments.

Everything that changes an order goes through the tickets plugin's documented services
(``payment_confirm``, ``payment_fail``, ``refund_done``, ``refund_record_external``), which lock
the order: the buyer's return from Stripe and the webhook may race and the order is paid once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from eventyay_tickets.models import Order, OrderPayment, OrderRefund
from eventyay_tickets.payment import PaymentError
from eventyay_tickets.payment.base import PUBLIC_INFO

from eventyay_stripe.gateway import StripeGateway, from_minor_units, minor_units
from eventyay_stripe.models import StripeEvent

if TYPE_CHECKING:
    from eventyay.base.models import Event
    from eventyay_stripe.provider import StripeProvider

logger = logging.getLogger(__name__)

#: Stripe accepts a Checkout Session lifetime between 30 minutes and 24 hours.
SESSION_MIN = dt.timedelta(minutes=31)
SESSION_MAX = dt.timedelta(hours=23, minutes=59)
#: Signatures older than this are refused (Stripe's own default).
WEBHOOK_TOLERANCE = 300
#: The events this plugin acts on; subscribe the webhook endpoint to these.
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.updated",
    "charge.dispute.created",
    "charge.dispute.closed",
)


class WebhookRejected(Exception):
    """The webhook's signature, timestamp or body is not acceptable (answer 400)."""


def _public(info: dict[str, Any], **ids: str | None) -> dict[str, Any]:
    return {**info, PUBLIC_INFO: {**(info.get(PUBLIC_INFO) or {}), **{k: v for k, v in ids.items() if v}}}


def _metadata(payment: OrderPayment) -> dict[str, str]:
    return {
        "event": str(payment.order.event_id),
        "order": payment.order.code,
        "payment": str(payment.pk),
    }


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _session_expires_at(order: Order, now: dt.datetime) -> int:
    """The order's payment deadline, moved into Stripe's window for session lifetimes."""
    expires = min(max(order.expires, now + SESSION_MIN), now + SESSION_MAX)
    return int(expires.timestamp())


# --- checkout ---------------------------------------------------------------------------------


def checkout_start(*, provider: StripeProvider, payment: OrderPayment) -> str:
    """Open a Stripe Checkout Session for ``payment`` (or keep its open one); returns the URL of
    the page that sends the buyer there.

    Runs under the payment's row lock, so a double click gets the same session; each new
    session is a numbered attempt whose idempotency key is derived from the payment's id.
    """
    gateway = provider.gateway()
    with transaction.atomic():
        locked = OrderPayment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        order = locked.order
        order.event = payment.order.event
        if locked.state not in (OrderPayment.State.CREATED, OrderPayment.State.PENDING):
            raise PaymentError(_("This payment can no longer be paid."))
        session_id = locked.info.get("stripe_session")
        if session_id:
            try:
                current = gateway.session_retrieve(session_id)
            except stripe.StripeError as exc:
                raise PaymentError(_("Stripe could not be reached: %s") % exc.user_message) from exc
            if current.status == "open" and current.url:
                return _redirect_page(order)
        attempt = int(locked.info.get("stripe_attempts") or 0) + 1
        currency = order.event.currency
        order_url = order.get_absolute_url()
        return_path = reverse(
            "plugins:stripe:return",
            kwargs={
                "organizer": order.event.organizer.slug,
                "event": order.event.slug,
                "code": order.code,
                "secret": order.secret,
            },
        )
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": order.code,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": minor_units(locked.amount, currency),
                        "product_data": {
                            "name": _("Order %(code)s: %(event)s")
                            % {"code": order.code, "event": str(order.event.name)}
                        },
                    },
                }
            ],
            "metadata": _metadata(locked),
            "payment_intent_data": {"metadata": _metadata(locked)},
            "success_url": _absolute(return_path) + "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": _absolute(order_url),
            "expires_at": _session_expires_at(order, timezone.now()),
        }
        if order.email:
            params["customer_email"] = order.email
        try:
            session = gateway.session_create(
                params, idempotency_key=f"eventyay-payment-{locked.pk}-{attempt}"
            )
        except stripe.StripeError as exc:
            logger.warning("Stripe refused a Checkout Session for payment %s: %s", locked.pk, exc)
            raise PaymentError(_("Stripe could not start the payment: %s") % exc.user_message) from exc
        info = _public(locked.info, checkout_session=session.id)
        info.update(stripe_session=session.id, stripe_url=session.url, stripe_attempts=attempt)
        OrderPayment.objects.filter(pk=locked.pk).update(state=OrderPayment.State.PENDING, info=info)
        payment.info, payment.state = info, OrderPayment.State.PENDING
        return _redirect_page(order)


def _redirect_page(order: Order) -> str:
    """Our page that sends the buyer on to Stripe.

    The shop's forms may only submit to this site (CSP ``form-action 'self'``, which browsers
    also apply to the redirects after a POST), so the POST ends here and this page navigates on.
    """
    return reverse(
        "plugins:stripe:redirect",
        kwargs={
            "organizer": order.event.organizer.slug,
            "event": order.event.slug,
            "code": order.code,
            "secret": order.secret,
        },
    )


def session_apply(
    *, provider: StripeProvider, payment: OrderPayment, session: stripe.checkout.Session
) -> None:
    """Bring the payment in line with what Stripe says about its Checkout Session.

    Paid: the payment is confirmed (once; the tickets plugin's confirm is idempotent under the
    order's lock). Complete but unpaid (delayed methods): marked as processing until a webhook
    says how it ended. Expired: the payment stays pending and can be retried.
    """
    from eventyay_tickets.services import payment_confirm

    currency = payment.order.event.currency
    if session.payment_status == "paid":
        if (session.amount_total, (session.currency or "").upper()) != (
            minor_units(payment.amount, currency),
            currency.upper(),
        ):
            logger.error("Stripe session %s does not match payment %s; not confirmed", session.id, payment.pk)
            return
        intent = session.payment_intent if isinstance(session.payment_intent, str) else None
        info = _public(payment.info, checkout_session=session.id, payment_intent=intent)
        info["stripe_payment_intent"] = intent
        payment_confirm(payment=payment, info=info)
    elif session.status == "complete" and not payment.info.get("stripe_processing"):
        OrderPayment.objects.filter(pk=payment.pk).update(info={**payment.info, "stripe_processing": True})


# --- refunds ----------------------------------------------------------------------------------


def refund_send(*, provider: StripeProvider, refund: OrderRefund) -> None:
    """Ask Stripe to refund; the idempotency key is the refund's id, so it is sent once."""
    intent = (refund.payment.info if refund.payment else {}).get("stripe_payment_intent")
    if not intent:
        raise PaymentError(_("This payment has no Stripe payment to refund."))
    currency = refund.order.event.currency
    try:
        result = provider.gateway().refund_create(
            {
                "payment_intent": intent,
                "amount": minor_units(refund.amount, currency),
                "metadata": {"event": str(refund.order.event_id), "refund": str(refund.pk)},
            },
            idempotency_key=f"eventyay-refund-{refund.pk}",
        )
    except stripe.StripeError as exc:
        raise PaymentError(_("Stripe refused the refund: %s") % exc.user_message) from exc
    info = _public(refund.info, refund=result.id)
    info["stripe_refund"] = result.id
    if result.status == "failed":
        raise PaymentError(_("Stripe could not send the refund."))
    if result.status == "succeeded":
        OrderRefund.objects.filter(pk=refund.pk).update(info=info)
    else:
        # Pending at Stripe: ``refund.updated`` finishes it.
        OrderRefund.objects.filter(pk=refund.pk).update(info=info, state=OrderRefund.State.TRANSIT)
        refund.state = OrderRefund.State.TRANSIT
    refund.info = info


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object's fields as a dict (stripe-python's objects are not dicts)."""
    if obj is None:
        return {}
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _payment_for(event: Event, stripe_metadata: Any) -> OrderPayment | None:
    metadata = _plain(stripe_metadata)
    if (
        not metadata
        or str(metadata.get("event")) != str(event.pk)
        or not str(metadata.get("payment")).isdigit()
    ):
        return None
    payment = (
        OrderPayment.objects.filter(order__event=event, provider="stripe", pk=int(metadata["payment"]))
        .select_related("order")
        .first()
    )
    if payment is not None:
        payment.order.event = event
    return payment


def _payment_of_intent(provider: StripeProvider, intent_id: str | None) -> OrderPayment | None:
    if not intent_id:
        return None
    intent = provider.gateway().payment_intent_retrieve(intent_id)
    return _payment_for(provider.event, intent.metadata)


def _refund_apply(provider: StripeProvider, stripe_refund: stripe.Refund) -> None:
    """A refund Stripe reports: ours is marked done when it succeeded; others are recorded."""
    from eventyay_tickets.payment.refunds import refund_record_external
    from eventyay_tickets.services import refund_done

    ours = (
        OrderRefund.objects.filter(order__event=provider.event, info__stripe_refund=stripe_refund.id)
        .select_related("order")
        .first()
    )
    metadata = _plain(stripe_refund.metadata)
    if (
        ours is None
        and str(metadata.get("refund", "")).isdigit()
        and metadata.get("event") == str(provider.event.pk)
    ):
        ours = (
            OrderRefund.objects.filter(order__event=provider.event, pk=int(metadata["refund"]))
            .select_related("order")
            .first()
        )
    if ours is not None:
        ours.order.event = provider.event
        if stripe_refund.status == "succeeded" and ours.state != OrderRefund.State.DONE:
            refund_done(refund=ours)
        return
    if stripe_refund.status not in ("succeeded", "pending"):
        return
    intent = stripe_refund.payment_intent if isinstance(stripe_refund.payment_intent, str) else None
    payment = _payment_of_intent(provider, intent)
    if payment is None:
        return
    refund_record_external(
        payment=payment,
        amount=from_minor_units(stripe_refund.amount, stripe_refund.currency),
        external_id=stripe_refund.id,
        info={"stripe_refund": stripe_refund.id, PUBLIC_INFO: {"refund": stripe_refund.id}},
    )


def _dispute_apply(provider: StripeProvider, dispute: stripe.Dispute) -> None:
    """A dispute is noted on the payment; a lost one is recorded as money sent back."""
    from eventyay_tickets.payment.refunds import refund_record_external

    intent = dispute.payment_intent if isinstance(dispute.payment_intent, str) else None
    payment = _payment_of_intent(provider, intent)
    if payment is None:
        return
    OrderPayment.objects.filter(pk=payment.pk).update(
        info=_public({**payment.info, "stripe_dispute_status": dispute.status}, dispute=dispute.id)
    )
    if dispute.status == "lost":
        refund_record_external(
            payment=payment,
            amount=from_minor_units(dispute.amount, dispute.currency),
            external_id=dispute.id,
            info={"stripe_dispute": dispute.id, PUBLIC_INFO: {"dispute": dispute.id}},
        )


# --- webhooks ---------------------------------------------------------------------------------


def webhook_verify(*, provider: StripeProvider, payload: bytes, signature: str) -> stripe.Event:
    """The event, if one of the configured signing secrets signed ``payload`` within 5 minutes."""
    secrets = provider.webhook_secrets()
    if not secrets:
        raise WebhookRejected("No webhook signing secret is configured.")
    for secret in secrets:
        try:
            return stripe.Webhook.construct_event(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE)
        except ValueError as exc:
            raise WebhookRejected("The body is not JSON.") from exc
        except stripe.SignatureVerificationError:
            continue
    raise WebhookRejected("No valid signature.")


def webhook_process(*, provider: StripeProvider, stripe_event: stripe.Event) -> bool:
    """Act on a verified event once; False when it was handled before.

    The object is fetched from Stripe again (the payload is only a hint), then the event's id is
    inserted in the same transaction as its effect. A ``CapacityBusy`` from the order's lock
    rolls both back, for Stripe to deliver the event again.
    """
    kind = stripe_event.type
    if kind not in HANDLED_EVENTS:
        return True
    if StripeEvent.objects.filter(event=provider.event, stripe_id=stripe_event.id).exists():
        return False
    gateway = provider.gateway()
    object_id = str(_plain(stripe_event.data.object).get("id") or "")
    if not object_id:
        return True
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event=provider.event, stripe_id=stripe_event.id, type=kind)
            if kind.startswith("checkout.session."):
                session = gateway.session_retrieve(object_id)
                payment = _payment_for(provider.event, session.metadata)
                if payment is not None:
                    _session_event(provider, payment, session, kind)
            elif kind == "charge.refunded":
                charge = gateway.charge_retrieve(object_id)
                for stripe_refund in gateway.refunds_of_charge(charge.id):
                    _refund_apply(provider, stripe_refund)
            elif kind == "refund.updated":
                _refund_apply(provider, gateway.refund_retrieve(object_id))
            elif kind.startswith("charge.dispute."):
                _dispute_apply(provider, gateway.dispute_retrieve(object_id))
    except IntegrityError:
        # The same event, delivered twice at once: the other delivery handled it.
        return False
    return True


def _session_event(provider: StripeProvider, payment: OrderPayment, session: Any, kind: str) -> None:
    from eventyay_tickets.services import payment_fail

    if kind == "checkout.session.async_payment_failed":
        payment_fail(payment=payment, info={"stripe_session": session.id})
    elif kind == "checkout.session.expired":
        if payment.info.get("stripe_session") == session.id:
            OrderPayment.objects.filter(pk=payment.pk).update(
                info={**payment.info, "stripe_session": None, "stripe_url": None}
            )
    else:
        from eventyay_tickets.services import OrderError

        try:
            session_apply(provider=provider, payment=payment, session=session)
        except OrderError as exc:
            # A canceled order: the money is kept on the payment for the organizer to refund.
            logger.error("Stripe payment %s arrived for order %s: %s", payment.pk, payment.order.code, exc)
            OrderPayment.objects.filter(pk=payment.pk).update(
                info=_public(
                    {**payment.info, "stripe_unapplied": " ".join(exc.messages)}, checkout_session=session.id
                )
            )


# --- order expiry -----------------------------------------------------------------------------


def sessions_expire(*, provider: StripeProvider, order: Order) -> int:
    """Close the open Checkout Sessions of an order that expired or was canceled."""
    count = 0
    for payment in order.payments.filter(provider="stripe", state=OrderPayment.State.PENDING):
        session_id = payment.info.get("stripe_session")
        if not session_id:
            continue
        try:
            provider.gateway().session_expire(
                session_id, idempotency_key=f"eventyay-payment-{payment.pk}-expire-{session_id}"
            )
            count += 1
        except stripe.InvalidRequestError:
            # Already complete or expired at Stripe: a payment that arrives is recorded by the webhook.
            logger.info("Stripe session %s could not be expired", session_id)
    return count


def gateway_for(provider: StripeProvider) -> StripeGateway:
    api_key = provider.api_key()
    if not api_key:
        raise PaymentError(_("Stripe is not configured for this event."))
    return StripeGateway(api_key)
