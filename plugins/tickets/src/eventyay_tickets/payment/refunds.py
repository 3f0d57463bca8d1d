"""Refunds of one payment: the organizer's full or partial refund, and refunds made outside.

Part of the payment provider contract (see :class:`~eventyay_tickets.payment.BasePaymentProvider`):
the API's refund endpoint calls :func:`refund_create`; providers call
:func:`refund_record_external` when the payment service reports money sent back that eventyay
did not ask for (a refund in the service's dashboard, a lost dispute).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from eventyay.base.services.log import Actor
from eventyay_tickets.models import Order, OrderPayment, OrderRefund
from eventyay_tickets.payment.base import PUBLIC_INFO

#: Refund states that count against what is left to refund of a payment.
COUNTING = (
    OrderRefund.State.CREATED,
    OrderRefund.State.MANUAL,
    OrderRefund.State.EXECUTING,
    OrderRefund.State.TRANSIT,
    OrderRefund.State.DONE,
)


def _refundable(payment: OrderPayment) -> Decimal:
    refunded = payment.refunds.filter(state__in=COUNTING).aggregate(total=Sum("amount"))["total"]
    return payment.amount - (refunded or Decimal("0.00"))


def _next_local_id(order: Order) -> int:
    return (order.refunds.aggregate(last=Max("local_id"))["last"] or 0) + 1


def _lock(payment: OrderPayment) -> OrderPayment:
    """Lock the payment's order (refunds of one order are numbered and counted under it)."""
    Order.objects.select_for_update(of=("self",)).filter(pk=payment.order_id).first()
    locked = OrderPayment.objects.select_related("order").get(pk=payment.pk)
    locked.order.event = payment.order.event
    return locked


def refund_create(
    *,
    payment: OrderPayment,
    amount: Decimal | None = None,
    actor: Actor = None,
    left_seen: Decimal | None = None,
) -> OrderRefund:
    """Refund ``amount`` (default: all that is left) of a confirmed payment.

    Raises :class:`~eventyay_tickets.services.OrderError` naming the field when the payment is
    not confirmed or the amount is more than what is left. ``left_seen`` is what the caller
    showed as left to refund: when it changed meanwhile (the same form submitted twice, another
    refund), nothing is refunded. Providers that refund automatically get the refund after
    commit (a Celery task, claimed once); others leave it to the organizer.
    """
    from eventyay_tickets.selectors import payment_providers
    from eventyay_tickets.services import OrderError
    from eventyay_tickets.services.notifications import order_transition_recorded

    with transaction.atomic():
        locked = _lock(payment)
        if locked.state not in (OrderPayment.State.CONFIRMED, OrderPayment.State.REFUNDED):
            raise OrderError({"payment": [_("Only confirmed payments can be refunded.")]})
        left = _refundable(locked)
        if left_seen is not None and left_seen != left:
            raise OrderError(
                {
                    "amount": [
                        _("This payment was refunded meanwhile; %(left)s is left. Please check the amount.")
                        % {"left": left}
                    ]
                }
            )
        amount = left if amount is None else Decimal(amount).quantize(Decimal("0.01"))
        if amount <= 0 or amount > left:
            raise OrderError(
                {"amount": [_("The amount must be more than zero and at most %(left)s.") % {"left": left}]}
            )
        provider = payment_providers(locked.order.event).get(locked.provider)
        automatic = bool(provider and provider.refunds_automatically)
        refund = OrderRefund.objects.create(
            order=locked.order,
            payment=locked,
            local_id=_next_local_id(locked.order),
            provider=locked.provider,
            amount=amount,
            state=OrderRefund.State.CREATED if automatic else OrderRefund.State.MANUAL,
        )
        order_transition_recorded(
            order=locked.order,
            action="refund_created",
            actor=actor,
            data={"refund": refund.local_id, "payment": locked.local_id, "amount": str(amount)},
            webhook="order.changed",
            hook="order_changed",
        )
        if automatic:
            from eventyay_tickets.tasks import execute_refund

            transaction.on_commit(lambda: execute_refund.delay(refund.pk))
    return refund


def refund_record_external(
    *, payment: OrderPayment, amount: Decimal, external_id: str, info: dict[str, Any] | None = None
) -> OrderRefund | None:
    """Record money the payment service sent back on its own (dashboard refund, lost dispute).

    ``external_id`` (the service's refund or dispute id) makes this idempotent: a second report
    of the same refund returns None and writes nothing. The refund is recorded as done.
    """
    from eventyay_tickets.services import refund_done

    with transaction.atomic():
        locked = _lock(payment)
        if locked.order.refunds.filter(info__external_id=external_id).exists():
            return None
        refund = OrderRefund.objects.create(
            order=locked.order,
            payment=locked,
            local_id=_next_local_id(locked.order),
            provider=locked.provider,
            amount=amount,
            state=OrderRefund.State.CREATED,
            info={**(info or {}), "external_id": external_id, PUBLIC_INFO: (info or {}).get(PUBLIC_INFO, {})},
        )
        refund.order = locked.order
        refund_done(refund=refund)
    return refund
