"""Orders and their positions, as one workbook: the order list of the back office and more."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters import Column, MultiSheetListExporter, Sheet
from eventyay_tickets.exporters.common import CHUNK, TicketsExporter, grouped, in_chunks
from eventyay_tickets.models import (
    Invoice,
    Order,
    OrderPayment,
    OrderPosition,
    OrderRefund,
)


class OrdersExporter(TicketsExporter, MultiSheetListExporter):
    identifier = "orders"
    verbose_name = _("Orders and positions")
    description = _(
        "One row per order (state, buyer, amounts, payments, invoices) and one per position "
        "(product, price, tax, attendee and the answers to questions)."
    )
    category = _("Orders")
    product_filter = True

    def sheets(self, options: dict[str, Any]) -> Sequence[Sheet]:
        return [Sheet("orders", _("Orders")), Sheet("positions", _("Positions"))]

    def sheet_columns(self, sheet: str, options: dict[str, Any]) -> Sequence[Column]:
        event = [Column("event", _("Event"))] if self.event is None else []
        if sheet == "orders":
            return [
                *event,
                Column("code", _("Order code")),
                Column("status", _("Status")),
                Column("email", _("Email")),
                Column("name", _("Name")),
                Column("locale", _("Language")),
                Column("datetime", _("Order date")),
                Column("expires", _("Payment deadline")),
                Column("paid_date", _("Payment date")),
                Column("total", _("Total")),
                Column("payment_fee", _("Payment fee")),
                Column("cancellation_fee", _("Cancellation fee")),
                Column("paid", _("Amount paid")),
                Column("refunded", _("Amount refunded")),
                Column("payment_providers", _("Payment methods")),
                Column("positions", _("Positions")),
                Column("invoices", _("Invoice numbers")),
                Column("require_approval", _("Needs approval")),
            ]
        return [
            *event,
            Column("code", _("Order code")),
            Column("positionid", _("Position")),
            Column("status", _("Order status")),
            Column("datetime", _("Order date")),
            Column("email", _("Order email")),
            Column("product", _("Product")),
            Column("price", _("Price")),
            Column("tax_rate", _("Tax rate")),
            Column("tax_value", _("Tax")),
            Column("attendee_name", _("Attendee name")),
            Column("attendee_email", _("Attendee email")),
            Column("voucher", _("Voucher")),
            *self.question_columns(),
        ]

    def orders(self, options: dict[str, Any]) -> QuerySet[Order]:
        orders = Order.objects.filter(self.order_filter(options))
        if self.product_filter and options.get("products"):
            orders = orders.filter(positions__product_id__in=options["products"]).distinct()
        return orders.defer("mails_awaiting_documents", "secret").order_by("datetime", "pk")

    def sheet_total(self, sheet: str, options: dict[str, Any]) -> int | None:
        if sheet == "orders":
            return self.orders(options).count()
        return self.positions(options).count()

    def sheet_rows(self, sheet: str, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        if sheet == "orders":
            return self._order_rows(options)
        return self._position_rows(options)

    def _order_rows(self, options: dict[str, Any]) -> Iterator[list[Any]]:
        confirmed = (OrderPayment.State.CONFIRMED, OrderPayment.State.REFUNDED)
        for chunk in in_chunks(self.orders(options).iterator(chunk_size=CHUNK)):
            ids = [order.pk for order in chunk]
            names = grouped(
                OrderPosition.objects.filter(order_id__in=ids)
                .order_by("positionid")
                .values_list("order_id", "attendee_name")
            )
            payments = grouped(
                OrderPayment.objects.filter(order_id__in=ids).values_list(
                    "order_id", "provider", "amount", "state", "payment_date"
                )
            )
            refunds = grouped(
                OrderRefund.objects.filter(order_id__in=ids, state=OrderRefund.State.DONE).values_list(
                    "order_id", "amount"
                )
            )
            invoices = grouped(
                Invoice.objects.filter(order_id__in=ids)
                .order_by("prefix", "number")
                .values_list("order_id", "full_number")
            )
            for order in chunk:
                paid = [
                    (amount, date)
                    for _p, amount, state, date in payments.get(order.pk, ())
                    if state in confirmed
                ]
                paid_dates = [date for _amount, date in paid if date is not None]
                providers = {provider for provider, *_rest in payments.get(order.pk, ())}
                attendees = [name for (name,) in names.get(order.pk, ()) if name]
                event = [self.event_slugs.get(order.event_id, "")] if self.event is None else []
                yield [
                    *event,
                    order.code,
                    self.status_labels[order.status],
                    order.email,
                    attendees[0] if attendees else "",
                    order.locale,
                    order.datetime,
                    order.expires,
                    max(paid_dates) if paid_dates else None,
                    order.total,
                    order.payment_fee,
                    order.cancellation_fee,
                    sum((amount for amount, _date in paid), Decimal("0.00")),
                    sum((amount for (amount,) in refunds.get(order.pk, ())), Decimal("0.00")),
                    ", ".join(sorted((providers | {order.payment_provider}) - {""})),
                    len(names.get(order.pk, ())),
                    ", ".join(number for (number,) in invoices.get(order.pk, ())),
                    order.require_approval,
                ]

    def _position_rows(self, options: dict[str, Any]) -> Iterator[list[Any]]:
        positions = (
            self.positions(options)
            .select_related("voucher")
            .order_by("order__datetime", "order_id", "positionid")
        )
        for position, answers in self.with_answers(positions.iterator(chunk_size=CHUNK)):
            order = position.order
            event = [self.event_slugs.get(order.event_id, "")] if self.event is None else []
            yield [
                *event,
                order.code,
                position.positionid,
                self.status_labels[order.status],
                order.datetime,
                order.email,
                self.product_label(position),
                position.price,
                position.tax_rate,
                position.tax_value,
                position.attendee_name,
                position.attendee_email,
                position.voucher.code if position.voucher is not None else "",
                *answers,
            ]
