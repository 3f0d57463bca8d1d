"""Who comes: the attendee list (spreadsheet and printable) and the check-in list to tick off."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from reportlab.platypus import Flowable

from eventyay.base.exporters import Column, ListExporter, PDFExporter, Progress
from eventyay_tickets.exporters.common import CHUNK, TicketsExporter
from eventyay_tickets.models import Checkin, CheckinList, Order, OrderPosition
from eventyay_tickets.services.checkin import checkin_list_positions

UNCHECKED = "☐"
CHECKED = "☑"


def _entered(checkin_list: CheckinList | None = None) -> Exists:
    """Whether the position has an entry scan (on ``checkin_list``, or on any list)."""
    entries = Checkin.objects.filter(position=OuterRef("pk"), type=Checkin.Type.ENTRY)
    if checkin_list is not None:
        entries = entries.filter(checkin_list=checkin_list)
    return Exists(entries)


class AttendeeListExporter(TicketsExporter, ListExporter):
    identifier = "attendees"
    verbose_name = _("Attendee list")
    description = _("One row per ticket and other position: attendee, product, order and answers.")
    category = _("Orders")
    default_states = Order.HOLDING
    product_filter = True

    def columns(self, options: dict[str, Any]) -> Sequence[Column]:
        event = [Column("event", _("Event"))] if self.event is None else []
        return [
            *event,
            Column("attendee_name", _("Attendee name")),
            Column("attendee_email", _("Attendee email")),
            Column("product", _("Product")),
            Column("price", _("Price")),
            Column("code", _("Order code")),
            Column("positionid", _("Position")),
            Column("status", _("Order status")),
            Column("email", _("Order email")),
            Column("checked_in", _("Checked in")),
            *self.question_columns(),
        ]

    def attendees(self, options: dict[str, Any]) -> QuerySet[OrderPosition]:
        return self.positions(options).order_by("attendee_name_key", "order__code", "positionid")

    def total(self, options: dict[str, Any]) -> int | None:
        return self.attendees(options).count()

    def rows(self, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        positions = self.attendees(options).annotate(entered=_entered())
        for position, answers in self.with_answers(positions.iterator(chunk_size=CHUNK)):
            order = position.order
            event = [self.event_slugs.get(order.event_id, "")] if self.event is None else []
            yield [
                *event,
                position.attendee_name,
                position.attendee_email,
                self.product_label(position),
                position.price,
                order.code,
                position.positionid,
                self.status_labels[order.status],
                order.email,
                position.entered,  # type: ignore[attr-defined]
                *answers,
            ]


class AttendeePDFExporter(TicketsExporter, PDFExporter):
    identifier = "attendees_pdf"
    verbose_name = _("Attendee list (PDF)")
    description = _("A printable list of attendees sorted by name, with product and order.")
    category = _("Orders")
    default_states = Order.HOLDING
    product_filter = True

    def story(self, options: dict[str, Any], progress: Progress) -> Iterable[Flowable]:
        positions = self.positions(options).order_by("attendee_name_key", "order__code", "positionid")
        rows = [
            [
                position.attendee_name,
                position.attendee_email,
                self.product_label(position),
                position.order.code,
            ]
            for position in progress.iterate(positions.iterator(chunk_size=CHUNK), positions.count(), end=50)
        ]
        return [
            self.heading(self.title(options)),
            self.table(
                [gettext("Name"), gettext("Email"), gettext("Product"), gettext("Order")],
                rows,
                widths=[0.3, 0.3, 0.28, 0.12],
            ),
        ]


class CheckinListPDFExporter(TicketsExporter, PDFExporter):
    identifier = "checkin_list_pdf"
    verbose_name = _("Check-in list (PDF)")
    description = _(
        "A printable list with a box to tick per attendee, sorted by name; those already checked in "
        "are ticked."
    )
    category = _("Check-in")
    product_filter = True

    def option_fields(self) -> dict[str, forms.Field]:
        fields = super().option_fields()
        # The list decides which orders count (paid, or also pending): no separate state filter.
        fields.pop("status")
        if self.event is not None:
            fields["checkin_list"] = forms.ModelChoiceField(
                label=_("Check-in list"),
                queryset=CheckinList.objects.filter(event=self.event),
                required=False,
                empty_label=_("None: every admission ticket of paid orders"),
            )
        return fields

    def title(self, options: dict[str, Any]) -> str:
        chosen = self._checkin_list(options)
        return f"{gettext('Check-in list')}: {chosen.name}" if chosen is not None else str(self.verbose_name)

    def _checkin_list(self, options: dict[str, Any]) -> CheckinList | None:
        if not options.get("checkin_list"):
            return None
        return CheckinList.objects.filter(event=self.event, pk=options["checkin_list"]).first()

    def story(self, options: dict[str, Any], progress: Progress) -> Iterable[Flowable]:
        chosen = self._checkin_list(options)
        if chosen is not None:
            admitted = checkin_list_positions(chosen)
        else:
            admitted = OrderPosition.objects.filter(
                order__event=self.event, order__status=Order.Status.PAID, product__admission=True
            )
        positions = (
            admitted.filter(pk__in=self.positions(options).values("pk"))
            .select_related("order")
            .only("pk", "positionid", "attendee_name", "product_id", "variation_id", "order__code")
            .annotate(entered=_entered(chosen))
            .order_by("attendee_name_key", "order__code", "positionid")
        )
        rows = [
            [
                CHECKED if position.entered else UNCHECKED,
                position.attendee_name,
                self.product_label(position),
                f"{position.order.code}-{position.positionid}",
            ]
            for position in progress.iterate(positions.iterator(chunk_size=CHUNK), positions.count(), end=50)
        ]
        return [
            self.heading(self.title(options)),
            self.table(
                ["", gettext("Name"), gettext("Product"), gettext("Ticket")],
                rows,
                widths=[0.06, 0.44, 0.32, 0.18],
            ),
        ]
