"""The whole of an event's ticket data as one JSON document, for archives and migrations."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

from django.db.models import Model, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from i18nfield.strings import LazyI18nString

from eventyay.base.exporters import BaseExporter, Progress
from eventyay_tickets.exporters.common import CHUNK, READ
from eventyay_tickets.models import (
    Category,
    Checkin,
    CheckinList,
    Invoice,
    Order,
    OrderPosition,
    Product,
    ProductVariation,
    Question,
    QuestionAnswer,
    QuestionOption,
    Quota,
    TaxRule,
    Voucher,
)

#: Format version of the document; raised when a field changes meaning or goes away.
VERSION = 1


def _plain(value: Any) -> Any:
    """A JSON value: money as a string (never a float), times in ISO 8601, translations as objects."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, LazyI18nString):
        return value.data
    return value


def _fields(instance: Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in names}


class TicketDataExporter(BaseExporter):
    identifier = "tickets_json"
    verbose_name = _("Ticket data (JSON)")
    description = _(
        "Everything the ticket shop holds for this event: products, variations, quotas, questions, "
        "vouchers, check-in lists, and every order with positions, answers, check-ins, payments, "
        "refunds and invoices."
    )
    category = _("Orders")
    required_permission = READ

    def render(self, options: dict[str, Any], output: IO[bytes], progress: Progress) -> tuple[str, str]:
        assert self.event is not None
        text = io.TextIOWrapper(output, encoding="utf-8", newline="\n")  # type: ignore[type-var]
        head = {
            "version": VERSION,
            "event": {
                "slug": self.event.slug,
                "name": _plain(self.event.name),
                "currency": self.event.currency,
                "timezone": str(self.event.timezone),
            },
            **self._catalogue(),
        }
        # The catalogue is small and written at once; orders follow one per line as they are read.
        text.write(json.dumps(head, ensure_ascii=False)[:-1] + ',\n"orders": [')
        orders = self._orders()
        for count, order in enumerate(progress.iterate(orders.iterator(chunk_size=CHUNK), orders.count())):
            text.write(("," if count else "") + "\n" + json.dumps(self._order(order), ensure_ascii=False))
        text.write("\n]}\n")
        text.flush()
        text.detach()
        return self.base_filename() + ".json", "application/json"

    def _catalogue(self) -> dict[str, list[dict[str, Any]]]:
        event = self.event
        products = Product.objects.filter(event=event).prefetch_related(
            Prefetch("variations", queryset=ProductVariation.objects.order_by("position", "pk"))
        )
        quotas = Quota.objects.filter(event=event).prefetch_related("products", "variations")
        questions = Question.objects.filter(event=event).prefetch_related(
            "products", Prefetch("options", queryset=QuestionOption.objects.order_by("position", "pk"))
        )
        lists = CheckinList.objects.filter(event=event).prefetch_related("products")
        return {
            "tax_rules": [
                _fields(rule, ("id", "name", "rate", "price_includes_tax"))
                for rule in TaxRule.objects.filter(event=event)
            ],  # fmt: skip
            "categories": [
                _fields(c, ("id", "name", "position")) for c in Category.objects.filter(event=event)
            ],
            "products": [
                {
                    **_fields(
                        product,
                        (
                            "id",
                            "name",
                            "category_id",
                            "price",
                            "tax_rule_id",
                            "admission",
                            "active",
                            "available_from",
                            "available_until",
                            "require_voucher",
                            "hidden",
                            "position",
                        ),
                    ),  # fmt: skip
                    "variations": [
                        _fields(variation, ("id", "value", "price", "active", "position"))
                        for variation in product.variations.all()
                    ],
                }
                for product in products
            ],
            "quotas": [
                {
                    **_fields(quota, ("id", "name", "size", "closed", "close_when_sold_out")),
                    "products": sorted(product.pk for product in quota.products.all()),
                    "variations": sorted(variation.pk for variation in quota.variations.all()),
                }
                for quota in quotas
            ],
            "questions": [
                {
                    **_fields(question, ("id", "question", "type", "required", "position")),
                    "products": sorted(product.pk for product in question.products.all()),
                    "options": [
                        _fields(option, ("id", "identifier", "answer")) for option in question.options.all()
                    ],
                }
                for question in questions
            ],
            "vouchers": [
                _fields(
                    voucher,
                    (
                        "id",
                        "code",
                        "max_usages",
                        "redeemed",
                        "valid_until",
                        "product_id",
                        "variation_id",
                        "quota_id",
                        "price_mode",
                        "value",
                        "allow_ignore_quota",
                        "tag",
                        "comment",
                    ),
                )  # fmt: skip
                for voucher in Voucher.objects.filter(event=event)
            ],
            "checkin_lists": [
                {
                    **_fields(checkin_list, ("id", "name", "all_products", "include_pending")),
                    "products": sorted(product.pk for product in checkin_list.products.all()),
                }
                for checkin_list in lists
            ],
        }

    def _orders(self) -> QuerySet[Order]:
        positions = OrderPosition.objects.order_by("positionid").prefetch_related(
            Prefetch("answers", queryset=QuestionAnswer.objects.prefetch_related("options")),
            Prefetch("checkins", queryset=Checkin.objects.order_by("datetime", "pk")),
        )
        return (
            Order.objects.filter(event=self.event)
            .defer("mails_awaiting_documents")
            .order_by("datetime", "pk")
            .prefetch_related(
                Prefetch("positions", queryset=positions),
                "payments",
                "refunds",
                Prefetch("invoices", queryset=Invoice.objects.order_by("prefix", "number")),
            )
        )

    def _order(self, order: Order) -> dict[str, Any]:
        return {
            **_fields(
                order,
                (
                    "code",
                    "status",
                    "email",
                    "locale",
                    "datetime",
                    "expires",
                    "total",
                    "payment_fee",
                    "cancellation_fee",
                    "payment_provider",
                    "require_approval",
                ),
            ),  # fmt: skip
            "positions": [
                {
                    **_fields(
                        position,
                        (
                            "positionid",
                            "product_id",
                            "variation_id",
                            "price",
                            "tax_rate",
                            "tax_value",
                            "attendee_name",
                            "attendee_email",
                            "voucher_id",
                            "secret",
                        ),
                    ),  # fmt: skip
                    "answers": [
                        {
                            "question": answer.question_id,
                            "answer": answer.answer,
                            "options": sorted(option.identifier for option in answer.options.all()),
                        }
                        for answer in position.answers.all()
                    ],
                    "checkins": [
                        {"list": checkin.checkin_list_id, **_fields(checkin, ("type", "datetime"))}
                        for checkin in position.checkins.all()
                    ],
                }
                for position in order.positions.all()
            ],
            "payments": [
                _fields(payment, ("local_id", "provider", "amount", "state", "created", "payment_date"))
                for payment in order.payments.all()
            ],
            "refunds": [
                _fields(refund, ("local_id", "provider", "amount", "state", "created", "execution_date"))
                for refund in order.refunds.all()
            ],
            "invoices": [
                {
                    **_fields(
                        invoice,
                        ("id", "full_number", "date", "is_cancellation", "total", "tax_total", "currency"),
                    ),
                    "refers": invoice.refers_id,
                    "lines": invoice.lines,
                }
                for invoice in order.invoices.all()
            ],
        }
