"""Invoices: issuing with numbers that are sequential and never reused, and cancellation invoices.

Numbers come from an :class:`~eventyay_tickets.models.InvoiceCounter` row that is locked for
the rest of the issuing transaction, so two orders paid at the same moment get consecutive
numbers and a rolled-back transaction gives its number back before anyone else saw it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, log_action
from eventyay.base.settings import register_default
from eventyay_tickets.models import Invoice, InvoiceCounter, Order
from eventyay_tickets.services.errors import OrderError

#: Event settings (falling back to the organizer's) the invoice code reads.
INVOICE_DEFAULTS: dict[str, Any] = {
    # "paid": when the order is paid; "placed": as soon as it is placed; "never": only by hand.
    "tickets_invoice_generate": "paid",
    # "event": one sequence per event; "organizer": one sequence across the organizer's events.
    "tickets_invoice_numbering": "event",
    "tickets_invoice_prefix": "",
    "tickets_invoice_address_from": "",
    "tickets_invoice_footer": "",
    "tickets_invoice_digits": 5,
    # Printed on tickets: where the event takes place.
    "tickets_venue": "",
}
for _key, _value in INVOICE_DEFAULTS.items():
    register_default(_key, _value)

GENERATE_CHOICES = ("paid", "placed", "never")
NUMBERING_CHOICES = ("event", "organizer")


def _sequence(event: Event) -> str:
    return (
        "organizer" if event.settings.get("tickets_invoice_numbering") == "organizer" else f"event:{event.pk}"
    )


def invoice_number_next(*, event: Event, prefix: str) -> int:
    """Take the next number of ``event``'s sequence; the counter stays locked until commit.

    Must run inside a transaction (``invoice_create`` opens one).
    """
    sequence = _sequence(event)
    counter = InvoiceCounter.objects.filter(organizer=event.organizer, sequence=sequence, prefix=prefix)
    if not counter.exists():
        # A new sequence continues after numbers issued under another numbering mode.
        issued = Invoice.objects.filter(event__organizer=event.organizer, prefix=prefix)
        if sequence != "organizer":
            issued = issued.filter(event=event)
        start = issued.aggregate(m=Max("number"))["m"] or 0
        try:
            with transaction.atomic():
                InvoiceCounter.objects.create(
                    organizer=event.organizer, sequence=sequence, prefix=prefix, value=start
                )
        except IntegrityError:
            # Another transaction created it first; the lock below waits for that one.
            pass
    locked = counter.select_for_update().get()
    locked.value += 1
    locked.save(update_fields=["value"])
    return locked.value


def _address_to(order: Order) -> str:
    names = sorted({p.attendee_name for p in order.positions.all() if p.attendee_name})
    return "\n".join([*names[:1], order.email])


def _lines(order: Order) -> list[dict[str, str]]:
    lines = []
    for position in order.positions.select_related("product", "variation").order_by("positionid"):
        description = str(position.product.name)
        if position.variation is not None:
            description += f" – {position.variation.value}"
        if position.attendee_name:
            description += f"\n{position.attendee_name}"
        gross = position.price
        tax = position.tax_value
        lines.append(
            {
                "description": description,
                "gross": str(gross),
                "net": str(gross - tax),
                "tax": str(tax),
                "tax_rate": str(position.tax_rate),
            }
        )
    if order.payment_fee:
        lines.append(
            {
                "description": _("Payment fee"),
                "gross": str(order.payment_fee),
                "net": str(order.payment_fee),
                "tax": "0.00",
                "tax_rate": "0.00",
            }
        )
    return lines


def _issue(
    *,
    event: Event,
    order: Order,
    lines: list[dict[str, str]],
    invoice_to: str,
    refers: Invoice | None,
    actor: Actor,
) -> Invoice:
    prefix = str(event.settings.get("tickets_invoice_prefix") or "")
    digits = int(event.settings.get("tickets_invoice_digits") or 5)
    number = invoice_number_next(event=event, prefix=prefix)
    invoice = Invoice.objects.create(
        event=event,
        order=order,
        prefix=prefix,
        number=number,
        full_number=f"{prefix}{number:0{digits}d}",
        is_cancellation=refers is not None,
        refers=refers,
        date=timezone.localdate(timezone=event.tz),
        invoice_from=str(event.settings.get("tickets_invoice_address_from") or event.organizer.name),
        invoice_to=invoice_to,
        lines=lines,
        total=sum((Decimal(line["gross"]) for line in lines), Decimal("0.00")),
        tax_total=sum((Decimal(line["tax"]) for line in lines), Decimal("0.00")),
        currency=event.currency,
        footer=str(event.settings.get("tickets_invoice_footer") or ""),
    )
    log_action(
        action="eventyay_tickets.invoice.cancellation_issued"
        if refers
        else "eventyay_tickets.invoice.issued",
        organizer=event.organizer,
        event=event,
        obj=order,
        actor=actor,
        data={"invoice": invoice.full_number, "total": str(invoice.total)},
    )
    transaction.on_commit(lambda: _render_later(invoice.pk))
    return invoice


def _render_later(invoice_id: int) -> None:
    from eventyay_tickets.tasks_documents import render_invoice

    render_invoice.delay(invoice_id)


def invoice_create(*, order: Order, actor: Actor = None) -> Invoice:
    """Issue an invoice for ``order`` with the next number; refused for canceled orders."""
    if order.status == Order.Status.CANCELED:
        raise OrderError({"status": [_("A canceled order gets no new invoice.")]})
    with transaction.atomic():
        return _issue(
            event=order.event,
            order=order,
            lines=_lines(order),
            invoice_to=_address_to(order),
            refers=None,
            actor=actor,
        )


def invoice_cancel(*, invoice: Invoice, actor: Actor = None) -> Invoice:
    """Issue the cancellation invoice of ``invoice`` (its own new number, negated amounts)."""
    with transaction.atomic():
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if original.is_cancellation:
            raise OrderError({"invoice": [_("A cancellation invoice cannot be canceled.")]})
        if Invoice.objects.filter(refers=original).exists():
            raise OrderError({"invoice": [_("This invoice has already been canceled.")]})
        negated = [
            {**line, **{key: str(-Decimal(line[key])) for key in ("gross", "net", "tax")}}
            for line in original.lines
        ]
        order = invoice.order
        order.event = invoice.event
        return _issue(
            event=invoice.event,
            order=order,
            lines=negated,
            invoice_to=original.invoice_to,
            refers=original,
            actor=actor,
        )


def invoice_regenerate(*, order: Order, actor: Actor = None) -> Invoice:
    """Cancel the order's open invoices and issue a fresh one (after changes to the order)."""
    with transaction.atomic():
        for invoice in order_open_invoices(order):
            invoice_cancel(invoice=invoice, actor=actor)
        return invoice_create(order=order, actor=actor)


def order_open_invoices(order: Order) -> list[Invoice]:
    """Invoices of ``order`` that are not cancellations and not canceled."""
    return list(
        Invoice.objects.filter(order=order, is_cancellation=False, cancellations__isnull=True).order_by("pk")
    )


def invoice_for_order(order: Order, *, create: bool = True) -> Invoice | None:
    """The order's current invoice; issued now if the event's settings say it should exist.

    Mail and page code call this to attach or link the invoice.
    """
    if create:
        return invoice_issue_if_due(order=order)
    open_invoices = order_open_invoices(order)
    return open_invoices[-1] if open_invoices else None


def invoice_issue_if_due(*, order: Order, actor: Actor = None) -> Invoice | None:
    """The order's current invoice, issued first if due and missing.

    The order row is locked while deciding, so the document task and the mail task of one
    transition, running side by side in two workers, never issue two invoices.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        locked.event = order.event
        open_invoices = order_open_invoices(locked)
        if open_invoices:
            return open_invoices[-1]
        if not invoice_due(locked):
            return None
        return invoice_create(order=locked, actor=actor)


def invoice_due(order: Order) -> bool:
    """Whether the settings want an invoice for ``order`` in its current state."""
    mode = order.event.settings.get("tickets_invoice_generate")
    if order.total == 0 or order.status == Order.Status.CANCELED:
        return False
    if mode == "placed":
        return order.status in (Order.Status.PENDING, Order.Status.PAID)
    if mode == "paid":
        return order.status == Order.Status.PAID
    return False


def invoices_on_order_event(*, order: Order, action: str) -> None:
    """React to an order transition: issue the invoice when due, cancel it when the order is.

    Called from the plugin's own ``order_placed``/``order_paid``/``order_canceled`` hooks, i.e.
    after the transition committed.
    """
    if action == "canceled":
        with transaction.atomic():
            for invoice in order_open_invoices(order):
                invoice_cancel(invoice=invoice)
        return
    invoice_issue_if_due(order=order)
