"""What the tickets exporters share: the order filters, the events' products and questions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cached_property
from itertools import islice
from typing import Any, ClassVar, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters import BaseExporter, Column
from eventyay_tickets.models import Order, OrderPosition, Product, ProductVariation, Question, QuestionAnswer

#: The tickets plugin's permission to read orders; every tickets exporter needs it.
READ = "event.orders:read"
#: Rows are read in chunks of this size, with their related rows prefetched per chunk.
CHUNK = 1000

T = TypeVar("T")


def in_chunks(rows: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def grouped(rows: Iterable[tuple[Any, ...]]) -> dict[Any, list[tuple[Any, ...]]]:
    """``(key, *values)`` tuples as lists of ``values`` by key.

    Related rows of a chunk are read with one ``values_list`` query each and grouped here:
    Django's ``prefetch_related`` builds a queryset per object, which costs more than the rows.
    """
    groups: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for key, *values in rows:
        groups[key].append(tuple(values))
    return groups


class TicketsExporter(BaseExporter):
    """The order filters every tickets export offers, and reads of the exported events' catalogue.

    The same class serves one event (``self.event``) and an organizer's events (``self.events``);
    organizer-wide exports add an event column and leave out filters tied to one event's products.
    """

    required_permission = READ
    #: Order states exported when the user picks none.
    default_states: ClassVar[tuple[str, ...]] = ()
    #: Whether the export offers a filter by product (only ever for one event).
    product_filter: ClassVar[bool] = False

    def option_fields(self) -> dict[str, forms.Field]:
        if self.default_states:
            empty = gettext("Leave empty for %(states)s orders.") % {
                "states": gettext(" and ").join(
                    str(Order.Status(state).label) for state in self.default_states
                )
            }
        else:
            empty = gettext("Leave empty for all orders.")
        fields: dict[str, forms.Field] = {
            "status": forms.MultipleChoiceField(
                label=_("Order status"), choices=Order.Status.choices, required=False, help_text=empty
            ),
            "date_from": forms.DateField(label=_("Orders placed from"), required=False),
            "date_to": forms.DateField(label=_("Orders placed until"), required=False),
        }
        if self.product_filter and self.event is not None:
            fields["products"] = forms.ModelMultipleChoiceField(
                label=_("Products"),
                queryset=Product.objects.filter(event=self.event),
                required=False,
                help_text=_("Leave empty for all products."),
            )
        return {**super().option_fields(), **fields}

    def clean_options(self, data: dict[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_options(data)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError({"date_to": [_("This date is before the start date.")]})
        return cleaned

    # -- reads -----------------------------------------------------------------------------------

    @property
    def zone(self) -> dt.tzinfo:
        """Dates in the options are days in the event's time zone (the server's for organizers)."""
        name = self.event.timezone if self.event is not None else settings.TIME_ZONE
        return zoneinfo.ZoneInfo(str(name))

    def in_events(self, field: str = "event") -> Q:
        if self.event is not None:
            return Q(**{field: self.event})
        return Q(**{f"{field}__in": self.events})

    def order_filter(self, options: dict[str, Any], prefix: str = "") -> Q:
        """The chosen filters on orders; ``prefix`` reaches the order from another model."""
        condition = self.in_events(f"{prefix}event")
        states = options.get("status") or self.default_states
        if states:
            condition &= Q(**{f"{prefix}status__in": states})
        if options.get("date_from"):
            condition &= Q(**{f"{prefix}datetime__gte": self._day_start(options["date_from"])})
        if options.get("date_to"):
            end = dt.date.fromisoformat(options["date_to"]) + dt.timedelta(days=1)
            condition &= Q(**{f"{prefix}datetime__lt": self._day_start(end.isoformat())})
        return condition

    def positions(self, options: dict[str, Any]) -> QuerySet[OrderPosition]:
        """Positions of the chosen orders (and products), with their order's columns loaded."""
        positions = OrderPosition.objects.filter(self.order_filter(options, "order__"))
        if self.product_filter and options.get("products"):
            positions = positions.filter(product_id__in=options["products"])
        return positions.select_related("order").defer(
            "order__mails_awaiting_documents", "order__secret", "secret"
        )

    def _day_start(self, day: str) -> dt.datetime:
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.min, tzinfo=self.zone)

    @cached_property
    def status_labels(self) -> dict[str, str]:
        return {value: str(label) for value, label in Order.Status.choices}

    @cached_property
    def event_slugs(self) -> dict[int, str]:
        return dict(self.events.values_list("pk", "slug"))

    @cached_property
    def product_names(self) -> dict[int, str]:
        products = Product.objects.filter(self.in_events()).only("pk", "name")
        return {product.pk: str(product.name) for product in products}

    @cached_property
    def variation_names(self) -> dict[int, str]:
        variations = ProductVariation.objects.filter(self.in_events("product__event")).only("pk", "value")
        return {variation.pk: str(variation.value) for variation in variations}

    def product_label(self, position: OrderPosition) -> str:
        name = self.product_names.get(position.product_id, "")
        if position.variation_id is not None:
            return f"{name} – {self.variation_names.get(position.variation_id, '')}"
        return name

    @cached_property
    def questions(self) -> list[Question]:
        """The event's questions, one column each (none across an organizer's events)."""
        if self.event is None:
            return []
        return list(Question.objects.filter(event=self.event).only("pk", "question"))

    def question_columns(self) -> list[Column]:
        return [Column(f"question_{question.pk}", str(question.question)) for question in self.questions]

    def with_answers(self, positions: Iterable[OrderPosition]) -> Iterator[tuple[OrderPosition, list[str]]]:
        """Each position with one cell per question (read per chunk of positions)."""
        for chunk in in_chunks(positions):
            answers: dict[Any, list[tuple[Any, ...]]] = {}
            if self.questions:
                answers = grouped(
                    QuestionAnswer.objects.filter(position_id__in=[p.pk for p in chunk]).values_list(
                        "position_id", "question_id", "answer"
                    )
                )
            for position in chunk:
                given = dict(answers.get(position.pk, ()))
                yield position, [given.get(question.pk, "") for question in self.questions]
