"""Order transitions, one service each: place, mark paid, extend, expire, cancel, reactivate,
approve, deny, change attendees, plus payment confirmation and refunds."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.log import Actor
from eventyay_tickets.models import (
    Order,
    OrderPayment,
    OrderPosition,
    OrderRefund,
    QuestionAnswer,
)
from eventyay_tickets.models.orders import generate_order_code
from eventyay_tickets.payment import PaymentError
from eventyay_tickets.selectors import payment_providers, tickets_settings
from eventyay_tickets.services.errors import OrderError
from eventyay_tickets.services.locking import capacity_transaction
from eventyay_tickets.services.notifications import order_transition_recorded, order_transitions_deferred
from eventyay_tickets.services.quotas import (
    QuotaLinks,
    capacity_release,
    capacity_take,
    carts_delete,
    position_lines,
)
from eventyay_tickets.services.validation import PreparedPosition, prepare_positions

APPROVAL_HOLD_DAYS = 30
ORDER_CODE_ATTEMPTS = 10
#: An automatic refund still ``created`` this long after it was written lost its task: queue it again.
REFUND_REQUEUE_AFTER = dt.timedelta(minutes=10)
#: A refund claimed by a task this long ago whose worker never finished is marked failed for the
#: organizer to check with the payment service (sending it again could refund twice).
REFUND_CLAIM_LEASE = dt.timedelta(hours=1)

logger = logging.getLogger(__name__)


def _payment_deadline(event: Event, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=int(tickets_settings(event).get("payment_term_days") or 0), hours=1)


def _edit_deadline(event: Event) -> dt.datetime:
    days = int(tickets_settings(event).get("attendee_edit_days") or 0)
    return event.date_from - dt.timedelta(days=days)


class _Rollback(Exception):
    """Leaves a simulated order's transaction without writing anything."""


def order_place(
    *,
    event: Event,
    email: str,
    positions: list[dict[str, Any]],
    locale: str = "",
    payment_provider: str = "",
    cart_id: str | None = None,
    explicit_prices: bool = False,
    send_email: bool = True,
    simulate: bool = False,
    actor: Actor = None,
) -> Order:
    """Place an order after checking every shop rule; its places are taken from the quota and
    voucher counters in the order's transaction.

    Raises :class:`OrderError` (nothing written) with errors per position index, or
    :class:`~eventyay_tickets.services.errors.CapacityBusy` when the counters stayed locked. With
    ``cart_id`` the cart's reservations (one per position) are turned into the order in the same
    transaction; a cart that another call turned into an order meanwhile raises
    :class:`OrderError` under ``"cart"``. With ``simulate`` everything is checked and the
    unsaved result returned.
    """
    now = timezone.now()
    if not positions:
        raise OrderError({"positions": [{"product": [_("An order needs at least one position.")]}]})
    prepared, errors, links = prepare_positions(
        event=event, positions=positions, now=now, explicit_prices=explicit_prices, cart_id=cart_id
    )
    if any(errors):
        raise OrderError({"positions": errors})
    subtotal = sum((p.price for p in prepared), Decimal("0.00"))
    providers = payment_providers(event)
    product_ids = [p.product.pk for p in prepared]
    if subtotal == 0:
        payment_provider = "free"
    provider = providers.get(payment_provider)
    if provider is None or not provider.is_allowed(total=subtotal, product_ids=product_ids):
        raise OrderError({"payment_provider": [_("This payment method is not available for this order.")]})
    fee = provider.fee(subtotal)
    require_approval = any(p.product.require_approval for p in prepared)
    order = Order(
        event=event,
        email=email,
        locale=locale or event.locale,
        total=subtotal + fee,
        payment_fee=fee,
        payment_provider=provider.identifier,
        datetime=now,
        require_approval=require_approval,
        expires=now + dt.timedelta(days=APPROVAL_HOLD_DAYS)
        if require_approval
        else _payment_deadline(event, now),
        editable_until=_edit_deadline(event),
    )
    free = order.total == 0 and not require_approval
    if free:
        order.status = Order.Status.PAID
    # A clashing order code is rare; retrying the whole transaction then is cheaper than a
    # savepoint (two more round trips) around every insert.
    for attempt in range(ORDER_CODE_ATTEMPTS):
        order.code = generate_order_code()
        try:
            return _place(
                order=order,
                prepared=prepared,
                links=links,
                cart_id=cart_id,
                provider=provider,
                free=free,
                send_email=send_email,
                simulate=simulate,
                actor=actor,
                now=now,
            )
        except IntegrityError:
            order.pk = None
            if (
                attempt == ORDER_CODE_ATTEMPTS - 1
                or not Order.objects.filter(event=event, code=order.code).exists()
            ):
                raise
    raise AssertionError("unreachable")


def _place(
    *,
    order: Order,
    prepared: list[PreparedPosition],
    links: QuotaLinks,
    cart_id: str | None,
    provider: Any,
    free: bool,
    send_email: bool,
    simulate: bool,
    actor: Actor,
    now: dt.datetime,
) -> Order:
    event = order.event
    try:
        with capacity_transaction():
            order.save(force_insert=True)
            created = _insert_positions(order, prepared)
            if cart_id:
                # The cart's places are given back and the order's taken below, in this transaction.
                _consume_cart(event=event, cart_id=cart_id, expected=len(prepared), links=links)
            payment = None
            if not simulate:
                payment = OrderPayment(
                    order=order,
                    provider=provider.identifier,
                    amount=order.total,
                    state=OrderPayment.State.CONFIRMED if free else OrderPayment.State.CREATED,
                    payment_date=now if free else None,
                )
                payment.save(force_insert=True)
                transitions: list[dict[str, Any]] = [
                    {
                        "action": "placed",
                        "data": {"total": str(order.total), "positions": len(created)},
                        "webhook": "order.placed",
                        "hook": "order_placed",
                        "mail": "order_placed" if send_email else None,
                    }
                ]
                if free:
                    transitions.append(
                        {
                            "action": "paid",
                            "webhook": "order.paid",
                            "hook": "order_paid",
                            "data": {"payment": payment.local_id},
                        }
                    )
                # Log entries, webhooks, mails and hooks: one row now, carried out after commit.
                order_transitions_deferred(order=order, transitions=transitions, actor=actor)
            _remember(order, "positions", created)
            _remember(order, "payments", [payment] if payment else [])
            _remember(order, "refunds", [])
            # Capacity is taken last: the counter rows are then locked only from this one
            # statement to the commit, which is what lets a rush through quickly.
            capacity_errors = capacity_take(event=event, lines=[p.line() for p in prepared], links=links)
            if capacity_errors:
                raise OrderError(
                    {
                        "positions": [
                            {"product": [capacity_errors[i]]} if i in capacity_errors else {}
                            for i in range(len(prepared))
                        ]
                    }
                )
            if simulate:
                raise _Rollback()
    except _Rollback:
        return order
    return order


def _consume_cart(*, event: Event, cart_id: str, expected: int, links: QuotaLinks) -> None:
    """Delete the cart that becomes this order, in the order's transaction.

    Two confirms of one cart (a double click) both read it before either writes. The second
    one's delete then waits for the first (PostgreSQL row locks, SQLite's write lock) and finds
    nothing left; the number of deleted rows tells, and no second order is placed.
    """
    if carts_delete(event=event, cart_id=cart_id, links=links) != expected:
        raise OrderError(
            {
                "cart": [
                    _(
                        "Your cart has already been turned into an order or has changed meanwhile. "
                        "Please check your cart and your email."
                    )
                ]
            }
        )


def _remember(obj: Any, relation: str, rows: list[Any]) -> None:
    """Fill ``obj.<relation>.all()`` with rows just written, as ``prefetch_related`` would.

    Only ``.all()`` reads the remembered rows; ``.filter()`` and friends still query.
    """
    manager = getattr(obj, relation)
    # Not ``manager.all()``: on a scoped model that builds the scope's filter (a join up to the
    # organizer) for a query that never runs, about a fifteenth of an order's CPU. The
    # relation's own filter is applied lazily, when something chains onto the queryset.
    queryset = manager._apply_rel_filters(manager.model._base_manager.all())
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset


def _insert_positions(order: Order, prepared: list[PreparedPosition]) -> list[OrderPosition]:
    rows = []
    for number, position in enumerate(prepared, start=1):
        tax_rate = position.product.tax_rate
        tax = Decimal("0.00")
        if position.product.tax_rule is not None:
            _gross, _net, tax = position.product.tax_rule.split(position.price)
        rows.append(
            OrderPosition(
                order=order,
                positionid=number,
                product=position.product,
                variation=position.variation,
                price=position.price,
                tax_rate=tax_rate,
                tax_value=tax,
                attendee_name=position.attendee_name,
                attendee_email=position.attendee_email,
                voucher=position.voucher,
                quota_exempt=position.line().ignore_quota,
            )
        )
    # Inserts through the base manager: the scoped one would first build its filter (a join up
    # to the organizer) for a statement that reads nothing; ``save()`` does the same.
    created = OrderPosition._base_manager.bulk_create(rows)
    answers = []
    options = []
    for row, position in zip(created, prepared, strict=True):
        for answer in position.answers:
            qa = QuestionAnswer(position=row, question=answer.question, answer=answer.text)
            if answer.file is not None:
                qa.file.save(answer.file.name, answer.file, save=False)
            elif answer.stored_path:
                qa.file.name = answer.stored_path
            answers.append(qa)
            options.append(answer.options)
    per_position: dict[int, list[QuestionAnswer]] = {row.pk: [] for row in created}
    if answers:
        saved = QuestionAnswer._base_manager.bulk_create(answers)
        through = QuestionAnswer.options.through
        through.objects.bulk_create(
            through(questionanswer_id=qa.pk, questionoption_id=option.pk)
            for qa, chosen in zip(saved, options, strict=True)
            for option in chosen
        )
        for qa, chosen in zip(saved, options, strict=True):
            _remember(qa, "options", chosen)
            per_position[qa.position_id].append(qa)
    # Callers (the API answer, emails) read positions and answers without querying again.
    for row in created:
        _remember(row, "answers", per_position[row.pk])
    return created


def _capacity_links(event: Event) -> QuotaLinks:
    from eventyay_tickets.selectors import order_catalogue

    return order_catalogue(event).links


def _take_again(order: Order) -> None:
    """A non-holding order becomes pending/paid again: take its places (same transaction)."""
    errors = capacity_take(
        event=order.event, lines=position_lines(order.positions.all()), links=_capacity_links(order.event)
    )
    if errors:
        raise OrderError({"status": [_("The quota of a product in this order is no longer available.")]})


def _give_back(order: Order) -> None:
    """A pending/paid order stops holding its places: give them back (same transaction)."""
    capacity_release(
        event=order.event, lines=position_lines(order.positions.all()), links=_capacity_links(order.event)
    )


def _locked(order: Order) -> Order:
    fresh = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    fresh.event = order.event
    return fresh


def _refresh_into(target: Order, source: Order) -> None:
    for field in (
        "status",
        "expires",
        "require_approval",
        "total",
        "cancellation_fee",
        "expiry_reminder_sent",
        "paid_over_quota",
    ):
        setattr(target, field, getattr(source, field))


def payment_confirm(
    *, payment: OrderPayment, actor: Actor = None, send_email: bool = True, info: dict | None = None
) -> Order:
    """Confirm a payment; the order becomes paid once confirmed payments cover its total.

    Runs under the order's row lock and is idempotent: a payment that is already confirmed is
    left as it is, so a provider's return page and its webhook may both call this and the order
    is paid (and mailed) once. The money of a confirmed payment is never dropped: when the
    order had expired and its quota is gone meanwhile, the payment stays recorded, the order
    stays expired and is flagged ``paid_over_quota`` for the organizer to mark paid anyway
    (:func:`order_accept_over_quota`) or refund; with the event setting
    ``refund_over_quota`` it is canceled and refunded at once. Only a canceled order refuses a
    payment (:class:`OrderError`); quota locks that stay taken raise ``CapacityBusy`` with
    nothing written, for the provider to retry.
    """
    with capacity_transaction():
        order = _locked(payment.order)
        if order.status == Order.Status.CANCELED:
            raise OrderError({"status": [_("A canceled order cannot be paid.")]})
        confirmed = OrderPayment.objects.filter(pk=payment.pk).exclude(state=OrderPayment.State.CONFIRMED)
        if not confirmed.update(
            state=OrderPayment.State.CONFIRMED,
            payment_date=timezone.now(),
            info={**payment.info, **(info or {})},
        ):
            payment.state = OrderPayment.State.CONFIRMED
            _refresh_into(payment.order, order)
            return payment.order
        payment.state = OrderPayment.State.CONFIRMED
        paid = sum(
            (p.amount for p in order.payments.filter(state=OrderPayment.State.CONFIRMED)), Decimal("0.00")
        )
        data = {"payment": payment.local_id, "provider": payment.provider, "amount": str(payment.amount)}
        if paid >= order.total and order.status != Order.Status.PAID:
            if order.status == Order.Status.EXPIRED and not _paid_within_quota(order):
                _payment_over_quota(order=order, data=data, actor=actor, send_email=send_email)
            else:
                order.status = Order.Status.PAID
                order.require_approval = False
                order.save(update_fields=["status", "require_approval", "modified"])
                order_transition_recorded(
                    order=order,
                    action="paid",
                    actor=actor,
                    data=data,
                    webhook="order.paid",
                    hook="order_paid",
                    mail="order_paid" if send_email else None,
                    mail_key=str(payment.pk),
                )
    _refresh_into(payment.order, order)
    return payment.order


def _paid_within_quota(order: Order) -> bool:
    """Make the (locked) expired ``order`` paid if its quotas still have room; False if not.

    The status and the places are written in a savepoint that is rolled back when the quota is
    gone.
    """
    try:
        with transaction.atomic():
            Order.objects.filter(pk=order.pk).update(
                status=Order.Status.PAID, require_approval=False, modified=timezone.now()
            )
            _take_again(order)
    except OrderError:
        return False
    order.status = Order.Status.PAID
    order.require_approval = False
    return True


def _payment_over_quota(*, order: Order, data: dict[str, Any], actor: Actor, send_email: bool) -> None:
    order.paid_over_quota = True
    order.save(update_fields=["paid_over_quota", "modified"])
    order_transition_recorded(
        order=order,
        action="paid_over_quota",
        actor=actor,
        data=data,
        webhook="order.changed",
        hook="order_changed",
    )
    if tickets_settings(order.event).get("refund_over_quota"):
        order_cancel(order=order, refund=True, send_email=send_email)


def payment_fail(*, payment: OrderPayment, info: dict | None = None, actor: Actor = None) -> OrderPayment:
    """Record that a payment that was started did not go through (the order stays as it is).

    Only a created or pending payment fails; a confirmed one is left alone, so a late failure
    notice never undoes money that arrived.
    """
    with transaction.atomic():
        failed = OrderPayment.objects.filter(
            pk=payment.pk, state__in=[OrderPayment.State.CREATED, OrderPayment.State.PENDING]
        ).update(state=OrderPayment.State.FAILED, info={**payment.info, **(info or {})})
        if failed:
            payment.state = OrderPayment.State.FAILED
            order_transition_recorded(
                order=payment.order,
                action="payment_failed",
                actor=actor,
                data={"payment": payment.local_id, "provider": payment.provider},
            )
    return payment


def order_accept_over_quota(*, order: Order, actor: Actor = None, send_email: bool = True) -> Order:
    """Mark an order flagged ``paid_over_quota`` as paid, on purpose beyond its quota."""
    with transaction.atomic():
        locked = _locked(order)
        if not locked.paid_over_quota or locked.status != Order.Status.EXPIRED:
            raise OrderError({"status": [_("This order has no payment waiting for a decision.")]})
        locked.status = Order.Status.PAID
        locked.paid_over_quota = False
        locked.require_approval = False
        locked.save(update_fields=["status", "paid_over_quota", "require_approval", "modified"])
        # Beyond its quotas on purpose: its positions count against none, but redeem their vouchers.
        locked.positions.update(quota_exempt=True)
        capacity_take(
            event=locked.event,
            lines=position_lines(locked.positions.all()),
            links=_capacity_links(locked.event),
            force_vouchers=True,
        )
        order_transition_recorded(
            order=locked,
            action="paid",
            actor=actor,
            data={"over_quota": True},
            webhook="order.paid",
            hook="order_paid",
            mail="order_paid" if send_email else None,
            mail_key="over-quota",
        )
    _refresh_into(order, locked)
    return order


def order_mark_paid(
    *,
    order: Order,
    provider: str = "manual",
    amount: Decimal | None = None,
    info: dict | None = None,
    actor: Actor = None,
    send_email: bool = True,
) -> Order:
    """Record a payment for the order's open amount (or ``amount``) and confirm it."""
    with transaction.atomic():
        payment = order.payments.filter(
            provider=provider, state__in=[OrderPayment.State.CREATED, OrderPayment.State.PENDING]
        ).first()
        if payment is None:
            last = order.payments.order_by("-local_id").values_list("local_id", flat=True).first() or 0
            paid = sum(
                (p.amount for p in order.payments.filter(state=OrderPayment.State.CONFIRMED)), Decimal("0.00")
            )
            payment = OrderPayment.objects.create(
                order=order,
                local_id=last + 1,
                provider=provider,
                amount=amount if amount is not None else order.total - paid,
            )
        elif amount is not None:
            payment.amount = amount
            payment.save(update_fields=["amount"])
        payment.order = order
        return payment_confirm(payment=payment, actor=actor, send_email=send_email, info=info)


def order_extend(*, order: Order, expires: dt.datetime, actor: Actor = None) -> Order:
    """Give a pending (or expired: quota re-checked) order a new payment deadline."""
    with capacity_transaction():
        locked = _locked(order)
        if locked.status not in (Order.Status.PENDING, Order.Status.EXPIRED):
            raise OrderError({"status": [_("Only pending or expired orders can be extended.")]})
        if expires <= timezone.now():
            raise OrderError({"expires": [_("The new deadline must be in the future.")]})
        was_expired = locked.status == Order.Status.EXPIRED
        locked.status = Order.Status.PENDING
        locked.expires = expires
        locked.expiry_reminder_sent = False
        locked.save(update_fields=["status", "expires", "expiry_reminder_sent", "modified"])
        if was_expired:
            _take_again(locked)
        order_transition_recorded(
            order=locked,
            action="extended",
            actor=actor,
            data={"expires": expires.isoformat()},
            webhook="order.changed",
            hook="order_changed",
        )
    _refresh_into(order, locked)
    return order


def order_expire(*, order: Order, actor: Actor = None) -> Order:
    """Mark a pending order past its deadline as expired; its quota becomes free."""
    with transaction.atomic():
        locked = _locked(order)
        if (
            locked.status != Order.Status.PENDING
            or locked.expires > timezone.now()
            or locked.require_approval
        ):
            _refresh_into(order, locked)
            return order
        locked.status = Order.Status.EXPIRED
        locked.save(update_fields=["status", "modified"])
        _give_back(locked)
        order_transition_recorded(
            order=locked, action="expired", actor=actor, webhook="order.expired", hook="order_expired"
        )
    _refresh_into(order, locked)
    return order


def order_expire_if_due(*, order: Order) -> Order:
    """Expire on access: pages and API call this before showing a pending order."""
    if order.is_pending_past_deadline and not order.require_approval:
        return order_expire(order=order)
    return order


def order_cancel(
    *,
    order: Order,
    fee: Decimal | None = None,
    refund: bool = True,
    actor: Actor = None,
    send_email: bool = True,
    action: str = "canceled",
    mail: str = "order_canceled",
) -> Order:
    """Cancel an order, optionally keeping ``fee``; paid money beyond the fee is refunded.

    Refunds through providers that refund automatically run after commit (a Celery task; if
    it cannot be queued, the periodic sweep queues it later); others are left as refunds for the
    organizer to carry out. Canceling settles a ``paid_over_quota`` flag.
    """
    refund_ids: list[int] = []
    with transaction.atomic():
        locked = _locked(order)
        if locked.status == Order.Status.CANCELED:
            raise OrderError({"status": [_("This order is already canceled.")]})
        fee = Decimal(fee or 0).quantize(Decimal("0.01"))
        confirmed = list(locked.payments.filter(state=OrderPayment.State.CONFIRMED).order_by("local_id"))
        paid = sum((p.amount for p in confirmed), Decimal("0.00"))
        if fee > max(paid, locked.total):
            raise OrderError({"fee": [_("The fee cannot be higher than the order total.")]})
        if locked.status in Order.HOLDING:
            _give_back(locked)
        locked.status = Order.Status.CANCELED
        locked.cancellation_fee = fee
        locked.paid_over_quota = False
        locked.save(update_fields=["status", "cancellation_fee", "paid_over_quota", "modified"])
        locked.payments.filter(state__in=[OrderPayment.State.CREATED, OrderPayment.State.PENDING]).update(
            state=OrderPayment.State.CANCELED
        )
        to_refund = paid - fee if refund else Decimal("0.00")
        providers = payment_providers(locked.event)
        local_id = locked.refunds.count()
        for payment in reversed(confirmed):
            if to_refund <= 0:
                break
            amount = min(payment.amount, to_refund)
            to_refund -= amount
            local_id += 1
            provider = providers.get(payment.provider)
            automatic = bool(provider and provider.refunds_automatically)
            created = OrderRefund.objects.create(
                order=locked,
                payment=payment,
                local_id=local_id,
                provider=payment.provider,
                amount=amount,
                state=OrderRefund.State.CREATED if automatic else OrderRefund.State.MANUAL,
            )
            if automatic:
                refund_ids.append(created.pk)
        order_transition_recorded(
            order=locked,
            action=action,
            actor=actor,
            data={"fee": str(fee)},
            webhook="order.canceled",
            hook="order_canceled",
            mail=mail if send_email else None,
        )
        if refund_ids:
            transaction.on_commit(lambda: _queue_refunds(refund_ids))
    _refresh_into(order, locked)
    return order


def _queue_refunds(refund_ids: Iterable[int]) -> None:
    """Hand refunds to the task queue after commit; never raises into the committed request.

    A refund that cannot be queued (broker down) stays ``created`` and the periodic sweep
    (:func:`refunds_retry_stale`) queues it again.
    """
    from eventyay_tickets.tasks import execute_refund

    for pk in refund_ids:
        try:
            execute_refund.delay(pk)
        except Exception:
            logger.exception("Queueing refund %s failed; the periodic sweep will retry it", pk)


def refund_claim(*, refund_id: int) -> OrderRefund | None:
    """Take a ``created`` refund for sending, atomically; None when someone else has it.

    A conditional UPDATE: of two workers running the same (redelivered) task, exactly one
    changes the row. Call with scopes disabled or inside the event's scope.
    """
    claimed = OrderRefund.objects.filter(pk=refund_id, state=OrderRefund.State.CREATED).update(
        state=OrderRefund.State.EXECUTING, claimed=timezone.now()
    )
    if not claimed:
        return None
    return OrderRefund.objects.select_related("order__event__organizer").get(pk=refund_id)


def refunds_retry_stale(*, event: Event, now: dt.datetime | None = None) -> int:
    """Queue automatic refunds whose task was lost; fail refunds whose worker died mid-send.

    The beat task calls this. A claimed refund is never sent again automatically: whether the
    payment service received it is unknown, so it is marked failed for the organizer to check.
    Returns how many refunds were queued or marked.
    """
    now = now or timezone.now()
    refunds = OrderRefund.objects.filter(order__event=event)
    lost = list(
        refunds.filter(state=OrderRefund.State.CREATED, created__lt=now - REFUND_REQUEUE_AFTER).values_list(
            "pk", flat=True
        )[:500]
    )
    _queue_refunds(lost)
    interrupted = 0
    for refund in refunds.filter(
        state=OrderRefund.State.EXECUTING, claimed__lt=now - REFUND_CLAIM_LEASE
    ).select_related("order")[:500]:
        refund.order.event = event
        interrupted += _refund_failed(
            refund=refund,
            expected=OrderRefund.State.EXECUTING,
            error=_(
                "Sending this refund was interrupted; check with the payment service whether it was sent."
            ),
        )
    return len(lost) + interrupted


def _refund_failed(*, refund: OrderRefund, expected: str, error: str) -> int:
    with transaction.atomic():
        failed = OrderRefund.objects.filter(pk=refund.pk, state=expected).update(
            state=OrderRefund.State.FAILED, info={**refund.info, "error": error}
        )
        if failed:
            refund.state = OrderRefund.State.FAILED
            order_transition_recorded(
                order=refund.order,
                action="refund_failed",
                data={"refund": refund.local_id, "amount": str(refund.amount), "error": error},
                webhook="order.changed",
                hook="order_changed",
            )
    return failed


def refund_execute(*, refund: OrderRefund) -> OrderRefund:
    """Ask the payment provider to send a refund back; failures are recorded on the refund.

    A ``created`` refund is claimed first (:func:`refund_claim`); a refund that is not (any
    more) waiting to be sent is returned untouched, so it is never sent twice.
    """
    if refund.state == OrderRefund.State.CREATED:
        if refund_claim(refund_id=refund.pk) is None:
            return refund
        refund.state = OrderRefund.State.EXECUTING
    if refund.state != OrderRefund.State.EXECUTING:
        return refund
    provider = payment_providers(refund.order.event).get(refund.provider)
    try:
        if provider is None:
            raise PaymentError(_("The payment method is no longer available."))
        provider.execute_refund(refund=refund)
    except PaymentError as exc:
        _refund_failed(refund=refund, expected=OrderRefund.State.EXECUTING, error=str(exc))
        return refund
    except Exception:
        logger.exception("Refund %s failed in its payment provider", refund.pk)
        _refund_failed(
            refund=refund,
            expected=OrderRefund.State.EXECUTING,
            error=_("The payment service could not be reached; check there whether the refund was sent."),
        )
        return refund
    if refund.state == OrderRefund.State.EXECUTING:
        refund_done(refund=refund)
    return refund


def refund_done(*, refund: OrderRefund, actor: Actor = None) -> OrderRefund:
    """Mark a refund as carried out (providers call this from ``execute_refund`` or webhooks).

    Idempotent: a refund that is already done is left as it is and logged once.
    """
    with transaction.atomic():
        if not (
            OrderRefund.objects.filter(pk=refund.pk)
            .exclude(state=OrderRefund.State.DONE)
            .update(state=OrderRefund.State.DONE, execution_date=timezone.now())
        ):
            refund.state = OrderRefund.State.DONE
            return refund
        refund.state = OrderRefund.State.DONE
        if refund.payment_id:
            OrderPayment.objects.filter(pk=refund.payment_id, amount__lte=refund.amount).update(
                state=OrderPayment.State.REFUNDED
            )
        order_transition_recorded(
            order=refund.order,
            action="refunded",
            actor=actor,
            data={"amount": str(refund.amount)},
            webhook="order.changed",
            hook="order_changed",
        )
    return refund


def order_reactivate(*, order: Order, actor: Actor = None) -> Order:
    """Undo a cancellation (not after refunds): pending again, taking its places again."""
    with capacity_transaction():
        locked = _locked(order)
        if locked.status != Order.Status.CANCELED:
            raise OrderError({"status": [_("Only canceled orders can be reactivated.")]})
        if locked.refunds.exists():
            raise OrderError({"status": [_("This order has refunds and cannot be reactivated.")]})
        paid = sum(
            (p.amount for p in locked.payments.filter(state=OrderPayment.State.CONFIRMED)), Decimal("0.00")
        )
        locked.status = Order.Status.PAID if paid >= locked.total else Order.Status.PENDING
        locked.cancellation_fee = Decimal("0.00")
        locked.expires = max(locked.expires, _payment_deadline(locked.event, timezone.now()))
        locked.save(update_fields=["status", "cancellation_fee", "expires", "modified"])
        _take_again(locked)
        order_transition_recorded(
            order=locked,
            action="reactivated",
            actor=actor,
            webhook="order.changed",
            hook="order_changed",
        )
    _refresh_into(order, locked)
    return order


def order_approve(*, order: Order, actor: Actor = None, send_email: bool = True) -> Order:
    """Approve an order waiting for approval; free orders become paid at once."""
    with transaction.atomic():
        locked = _locked(order)
        if not locked.require_approval or locked.status != Order.Status.PENDING:
            raise OrderError({"status": [_("This order is not waiting for approval.")]})
        locked.require_approval = False
        locked.expires = _payment_deadline(locked.event, timezone.now())
        locked.save(update_fields=["require_approval", "expires", "modified"])
        order_transition_recorded(
            order=locked,
            action="approved",
            actor=actor,
            webhook="order.changed",
            hook="order_changed",
            mail="order_approved" if send_email and locked.total > 0 else None,
        )
        if locked.total == 0:
            order_mark_paid(order=locked, provider="free", actor=actor, send_email=send_email)
    _refresh_into(order, locked)
    return order


def order_deny(*, order: Order, actor: Actor = None, send_email: bool = True) -> Order:
    """Refuse an order waiting for approval: it is canceled and its quota freed."""
    if not order.require_approval or order.status != Order.Status.PENDING:
        raise OrderError({"status": [_("This order is not waiting for approval.")]})
    return order_cancel(
        order=order, refund=False, actor=actor, send_email=send_email, action="denied", mail="order_denied"
    )


def order_change_attendees(
    *, order: Order, attendees: dict[int, dict[str, str]], actor: Actor = None, by_attendee: bool = False
) -> Order:
    """Change attendee names and emails of positions (by position pk); attendees only until the deadline."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if by_attendee and (
        order.status == Order.Status.CANCELED
        or (order.editable_until and timezone.now() > order.editable_until)
    ):
        raise OrderError({"positions": [_("Attendee details can no longer be changed.")]})
    changes = {}
    with transaction.atomic():
        for position in order.positions.select_for_update().filter(pk__in=list(attendees)):
            values = attendees[position.pk]
            name = str(values.get("attendee_name", position.attendee_name)).strip()[:255]
            email = str(values.get("attendee_email", position.attendee_email)).strip()
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    raise OrderError({"attendee_email": [_("Enter a valid email address.")]})
            if (name, email) != (position.attendee_name, position.attendee_email):
                changes[position.positionid] = {"attendee_name": name, "attendee_email": email}
                position.attendee_name, position.attendee_email = name, email
                position.save(update_fields=["attendee_name", "attendee_email"])
        if changes:
            Order.objects.filter(pk=order.pk).update(modified=timezone.now())
            order_transition_recorded(
                order=order,
                action="attendees",
                actor=actor,
                data={"positions": {str(k): v for k, v in changes.items()}},
                webhook="order.changed",
                hook="order_changed",
            )
    return order


def order_payment_open(*, order: Order) -> OrderPayment | None:
    """The payment the buyer pays next with the order's provider: its created or pending one, or
    a new one for the open amount when the last attempt failed or was canceled.

    None when the order cannot be paid now (not pending, waiting for approval, past its
    deadline, nothing left to pay). The failed attempt stays recorded as failed; the new one
    has its own id, from which providers derive their idempotency keys. Runs under the order's
    row lock, so two clicks on *Pay now* make one new payment.
    """
    with transaction.atomic():
        locked = _locked(order)
        if (
            locked.status != Order.Status.PENDING
            or locked.require_approval
            or locked.expires <= timezone.now()
        ):
            return None
        payments = locked.payments.order_by("-local_id")
        payment = payments.filter(
            provider=locked.payment_provider,
            state__in=[OrderPayment.State.CREATED, OrderPayment.State.PENDING],
        ).first()
        if payment is None:
            paid = sum(
                (p.amount for p in payments.filter(state=OrderPayment.State.CONFIRMED)), Decimal("0.00")
            )
            if locked.total - paid <= 0:
                return None
            payment = OrderPayment.objects.create(
                order=locked,
                local_id=(payments.values_list("local_id", flat=True).first() or 0) + 1,
                provider=locked.payment_provider,
                amount=locked.total - paid,
            )
            order_transition_recorded(
                order=locked,
                action="payment_retried",
                data={
                    "payment": payment.local_id,
                    "provider": payment.provider,
                    "amount": str(payment.amount),
                },
            )
    payment.order = order
    return payment


def order_payment_start(*, order: Order, request: HttpRequest | None) -> str | None:
    """Hand an unpaid order to its provider; returns a URL to redirect to, if any.

    Right after placing, that is the order's first payment; after a failed or canceled attempt,
    a new payment (:func:`order_payment_open`). A payment already handed over (pending) is left
    to its provider's own page.
    """
    provider = payment_providers(order.event).get(order.payment_provider)
    if provider is None:
        return None
    payment = order_payment_open(order=order)
    if payment is None or payment.state != OrderPayment.State.CREATED:
        return None
    OrderPayment.objects.filter(pk=payment.pk).update(state=OrderPayment.State.PENDING)
    payment.state = OrderPayment.State.PENDING
    payment.order = order
    return provider.execute_payment(request=request, payment=payment)


def order_resend_link(*, order: Order, actor: Actor = None) -> None:
    """Send the order's link to its email address again."""
    from eventyay_tickets.services.notifications import order_mail

    with transaction.atomic():
        order_mail(
            order=order,
            template="order_placed",
            delivery_key=f"tickets:{order.pk}:resend:{timezone.now().timestamp()}",
        )
        order_transition_recorded(order=order, action="link_resent", actor=actor)


def orders_expire_due(*, event: Event, now: dt.datetime | None = None) -> int:
    """Expire every pending order of ``event`` past its deadline (the beat task calls this)."""
    now = now or timezone.now()
    count = 0
    for order in Order.objects.filter(
        event=event, status=Order.Status.PENDING, require_approval=False, expires__lt=now
    ).select_related("event__organizer")[:1000]:
        order.event = event
        order_expire(order=order)
        count += 1
    return count


def orders_send_expiry_reminders(*, event: Event, now: dt.datetime | None = None) -> int:
    """Mail buyers of pending orders whose deadline is less than a day away (once per order)."""
    from eventyay_tickets.services.notifications import order_mail

    now = now or timezone.now()
    due = Order.objects.filter(
        event=event,
        status=Order.Status.PENDING,
        require_approval=False,
        expiry_reminder_sent=False,
        expires__gt=now,
        expires__lt=now + dt.timedelta(days=1),
        datetime__lt=now - dt.timedelta(days=1),
    )
    count = 0
    for order in due[:1000]:
        order.event = event
        with transaction.atomic():
            if Order.objects.filter(pk=order.pk, expiry_reminder_sent=False).update(
                expiry_reminder_sent=True
            ):
                order_mail(
                    order=order, template="order_expiring", delivery_key=f"tickets:{order.pk}:expiring"
                )
                count += 1
    return count


def order_place_from_cart(
    *,
    event: Event,
    cart_id: str,
    email: str,
    attendees: list[dict[str, Any]],
    payment_provider: str,
    locale: str = "",
    actor: Actor = None,
) -> Order:
    """Turn a cart into an order; ``attendees`` holds attendee details and answers per cart position.

    Prices are those fixed when the products were reserved. Expired reservations are checked
    against the quotas again under lock, like any new order.
    """
    from eventyay_tickets.selectors import cart_positions

    positions = list(cart_positions(event, cart_id))
    if not positions:
        raise OrderError({"positions": [{"product": [_("Your cart is empty.")]}]})
    requested = []
    for index, position in enumerate(positions):
        details = attendees[index] if index < len(attendees) else {}
        requested.append(
            {
                "product": position.product_id,
                "variation": position.variation_id,
                "price": position.price,
                "voucher": position.voucher_id,
                "attendee_name": details.get("attendee_name", ""),
                "attendee_email": details.get("attendee_email", ""),
                "answers": details.get("answers", []),
            }
        )
    return order_place(
        event=event,
        email=email,
        positions=requested,
        locale=locale,
        payment_provider=payment_provider,
        cart_id=cart_id,
        explicit_prices=True,
        actor=actor,
    )
