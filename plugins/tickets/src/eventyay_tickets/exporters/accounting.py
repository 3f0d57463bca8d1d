"""Invoice data for accounting: invoices with their totals, the tax per rate, and every line."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters import Column, MultiSheetListExporter, Sheet
from eventyay_tickets.exporters.common import CHUNK, READ
from eventyay_tickets.models import Invoice

ZERO = Decimal("0.00")


class InvoiceDataExporter(MultiSheetListExporter):
    identifier = "invoice_data"
    verbose_name = _("Invoice data")
    description = _(
        "Every invoice and cancellation with net, tax and gross amounts: per invoice, per invoice "
        "and tax rate, and per invoice line."
    )
    category = _("Accounting")
    required_permission = READ

    def option_fields(self) -> dict[str, forms.Field]:
        return {
            **super().option_fields(),
            "date_from": forms.DateField(label=_("Invoice date from"), required=False),
            "date_to": forms.DateField(label=_("Invoice date until"), required=False),
        }

    def clean_options(self, data: dict[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_options(data)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError({"date_to": [_("This date is before the start date.")]})
        return cleaned

    def sheets(self, options: dict[str, Any]) -> Sequence[Sheet]:
        return [Sheet("invoices", _("Invoices")), Sheet("taxes", _("Tax rates")), Sheet("lines", _("Lines"))]

    def sheet_columns(self, sheet: str, options: dict[str, Any]) -> Sequence[Column]:
        head = [
            Column("number", _("Invoice number")),
            Column("date", _("Invoice date")),
            Column("order", _("Order code")),
        ]
        money = [
            Column("net", _("Net")),
            Column("tax", _("Tax")),
            Column("gross", _("Gross")),
            Column("currency", _("Currency")),
        ]
        if sheet == "invoices":
            return [
                *head,
                Column("cancellation", _("Cancellation")),
                Column("refers", _("Cancels invoice")),
                Column("invoice_to", _("Invoice recipient")),
                *money,
            ]
        if sheet == "taxes":
            return [*head, Column("tax_rate", _("Tax rate")), *money]
        return [
            *head,
            Column("line", _("Line")),
            Column("description", _("Description")),
            Column("tax_rate", _("Tax rate")),
            *money,
        ]

    def invoices(self, options: dict[str, Any]) -> QuerySet[Invoice]:
        invoices = Invoice.objects.filter(event=self.event)
        if options.get("date_from"):
            invoices = invoices.filter(date__gte=options["date_from"])
        if options.get("date_to"):
            invoices = invoices.filter(date__lte=options["date_to"])
        return (
            invoices.annotate(order_code=F("order__code"), refers_number=F("refers__full_number"))
            .defer("footer", "invoice_from")
            .order_by("date", "prefix", "number")
        )

    def sheet_total(self, sheet: str, options: dict[str, Any]) -> int | None:
        # Tax rates and lines are as many as the invoices' stored lines hold: unknown beforehand.
        return self.invoices(options).count() if sheet == "invoices" else None

    def sheet_rows(self, sheet: str, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        for invoice in self.invoices(options).iterator(chunk_size=CHUNK):
            head = [invoice.full_number, invoice.date, invoice.order_code]  # type: ignore[attr-defined]
            if sheet == "invoices":
                yield [
                    *head,
                    invoice.is_cancellation,
                    invoice.refers_number or "",  # type: ignore[attr-defined]
                    invoice.invoice_to,
                    invoice.total - invoice.tax_total,
                    invoice.tax_total,
                    invoice.total,
                    invoice.currency,
                ]
            elif sheet == "taxes":
                for rate, (net, tax, gross) in _by_rate(invoice.lines):
                    yield [*head, rate, net, tax, gross, invoice.currency]
            else:
                yield from _line_rows(head, invoice)


def _amount(line: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(line.get(key) or "0"))


def _by_rate(lines: list[dict[str, Any]]) -> Iterator[tuple[Decimal, tuple[Decimal, Decimal, Decimal]]]:
    sums: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for line in lines:
        total = sums[_amount(line, "tax_rate")]
        total[0] += _amount(line, "net")
        total[1] += _amount(line, "tax")
        total[2] += _amount(line, "gross")
    for rate in sorted(sums):
        net, tax, gross = sums[rate]
        yield rate, (net, tax, gross)


def _line_rows(head: list[Any], invoice: Invoice) -> Iterator[list[Any]]:
    for number, line in enumerate(invoice.lines, 1):
        yield [
            *head,
            number,
            line.get("description", ""),
            _amount(line, "tax_rate"),
            _amount(line, "net"),
            _amount(line, "tax"),
            _amount(line, "gross"),
            invoice.currency,
        ]
