"""Vouchers with what they unlock and how often they were used."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters import Column, ListExporter
from eventyay_tickets.exporters.common import CHUNK, READ
from eventyay_tickets.models import Voucher


class VoucherExporter(ListExporter):
    identifier = "vouchers"
    verbose_name = _("Vouchers")
    description = _("Every voucher code with its product or quota, price change, validity and usage.")
    category = _("Orders")
    # The back office shows vouchers to whoever may read orders.
    required_permission = READ

    def columns(self, options: dict[str, Any]) -> Sequence[Column]:
        return [
            Column("code", _("Code")),
            Column("valid_until", _("Valid until")),
            Column("product", _("Product")),
            Column("variation", _("Variation")),
            Column("quota", _("Quota")),
            Column("price_mode", _("Price change")),
            Column("value", _("Value")),
            Column("max_usages", _("Maximum usages")),
            Column("redeemed", _("Redeemed")),
            Column("allow_ignore_quota", _("May ignore quota")),
            Column("tag", _("Tag")),
            Column("comment", _("Comment")),
            Column("created", _("Created")),
        ]

    def vouchers(self) -> QuerySet[Voucher]:
        return (
            Voucher.objects.filter(event=self.event)
            .select_related("product", "variation", "quota")
            .order_by("code")
        )

    def total(self, options: dict[str, Any]) -> int | None:
        return Voucher.objects.filter(event=self.event).count()

    def rows(self, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        for voucher in self.vouchers().iterator(chunk_size=CHUNK):
            yield [
                voucher.code,
                voucher.valid_until,
                str(voucher.product.name) if voucher.product is not None else "",
                str(voucher.variation.value) if voucher.variation is not None else "",
                voucher.quota.name if voucher.quota is not None else "",
                voucher.get_price_mode_display(),
                voucher.value,
                voucher.max_usages,
                voucher.redeemed,
                voucher.allow_ignore_quota,
                voucher.tag,
                voucher.comment,
                voucher.created,
            ]
