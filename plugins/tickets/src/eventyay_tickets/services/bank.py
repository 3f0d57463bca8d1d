"""Matching a bank statement (CSV) against pending bank-transfer orders."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.log import Actor
from eventyay_tickets.models import Order, OrderPayment
from eventyay_tickets.services.errors import OrderError


@dataclass
class StatementResult:
    matched: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)


def _amount(text: str) -> Decimal | None:
    cleaned = text.strip().replace(" ", "")
    if "," in cleaned and "." in cleaned:
        cleaned = (
            cleaned.replace(".", "").replace(",", ".")
            if cleaned.rfind(",") > cleaned.rfind(".")
            else cleaned.replace(",", "")
        )
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return Decimal(cleaned).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def bank_statement_match(*, event: Event, csv_text: str, actor: Actor = None) -> StatementResult:
    """Mark orders paid whose reference code appears in a line with the exact open amount.

    The CSV needs a header row; the reference is searched in every text column, the amount is
    the column named ``amount`` (or ``betrag``/``value``). Lines that match no pending order, or
    whose amount differs, come back as ``unmatched`` with a reason for the review screen.
    """
    from eventyay_tickets.services.orders import order_mark_paid

    try:
        reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")), delimiter=_sniff(csv_text))
        rows = list(reader)
    except csv.Error as exc:
        raise OrderError({"file": [_("This file could not be read as CSV: %s") % exc]})
    if not reader.fieldnames:
        raise OrderError({"file": [_("The file is empty.")]})
    amount_column = next(
        (
            name
            for name in reader.fieldnames
            if name and name.strip().lower() in ("amount", "betrag", "value")
        ),
        None,
    )
    if amount_column is None:
        raise OrderError({"file": [_("The file needs a column named “amount”.")]})
    pattern = re.compile(rf"{re.escape(event.slug.upper())}[\s\-_]*([A-Z0-9]{{5}})", re.IGNORECASE)
    result = StatementResult()
    for number, row in enumerate(rows, start=2):
        text = " ".join(str(v) for k, v in row.items() if k != amount_column and v)
        amount = _amount(str(row.get(amount_column) or ""))
        line = {"line": number, "text": text[:300], "amount": str(amount) if amount is not None else ""}
        match = pattern.search(text)
        if amount is None:
            result.unmatched.append({**line, "reason": _("No valid amount.")})
            continue
        if match is None:
            result.unmatched.append({**line, "reason": _("No order reference found.")})
            continue
        order = Order.objects.filter(event=event, code=match.group(1).upper()).first()
        if order is None:
            result.unmatched.append({**line, "reason": _("No order with this code.")})
            continue
        if order.status == Order.Status.PAID:
            result.unmatched.append({**line, "reason": _("The order is already paid."), "order": order.code})
            continue
        paid = sum(
            (p.amount for p in order.payments.filter(state=OrderPayment.State.CONFIRMED)), Decimal("0.00")
        )
        if amount != order.total - paid:
            result.unmatched.append(
                {**line, "reason": _("The amount does not match the open amount."), "order": order.code}
            )
            continue
        try:
            order_mark_paid(
                order=order,
                provider="banktransfer",
                amount=amount,
                info={"statement_line": line},
                actor=actor,
            )
        except OrderError as exc:
            result.unmatched.append({**line, "reason": "; ".join(exc.messages), "order": order.code})
            continue
        result.matched.append({**line, "order": order.code})
    return result


def _sniff(text: str) -> str:
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return ";" if header.count(";") > header.count(",") else ","
