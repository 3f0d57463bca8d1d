"""Invoices: numbered documents frozen at the moment they are issued, and their number counters."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event, Organizer
from eventyay.base.storage import UnguessableName, get_private_storage
from eventyay_tickets.models.orders import Order


class InvoiceCounter(models.Model):
    """The last number issued in one numbering sequence (an event's or an organizer's, per prefix).

    The row is locked while a number is taken, so concurrent invoices never share a number and
    numbers are never reused, even when an invoice is canceled.
    """

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="invoice_counters")
    #: ``"event:<id>"`` or ``"organizer"``; a plain string keeps the unique constraint simple.
    sequence = models.CharField(max_length=64)
    prefix = models.CharField(max_length=64, blank=True)
    value = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organizer", "sequence", "prefix"], name="tickets_invoicecounter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sequence}/{self.prefix}: {self.value}"


class Invoice(models.Model):
    """An invoice or a cancellation invoice (``is_cancellation``, negative amounts, ``refers``)."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    prefix = models.CharField(max_length=64, blank=True)
    number = models.PositiveIntegerField()
    full_number = models.CharField(max_length=190, db_index=True)
    is_cancellation = models.BooleanField(default=False)
    refers = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="cancellations"
    )
    date = models.DateField(default=timezone.localdate)
    invoice_from = models.TextField(_("Issued by"), blank=True)
    invoice_to = models.TextField(_("Issued to"), blank=True)
    #: Frozen lines: ``[{"description", "gross", "net", "tax", "tax_rate"}]`` as strings.
    lines = models.JSONField(default=list)
    total = models.DecimalField(max_digits=13, decimal_places=2, default=Decimal("0.00"))
    tax_total = models.DecimalField(max_digits=13, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="EUR")
    footer = models.TextField(blank=True)
    file = models.FileField(
        storage=get_private_storage, upload_to=UnguessableName("tickets/invoices"), null=True, blank=True
    )
    created = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("-created", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "prefix", "number"], name="tickets_invoice_number_unique"
            )
        ]

    def __str__(self) -> str:
        return self.full_number

    @property
    def is_canceled(self) -> bool:
        """Whether a cancellation invoice refers to this one (needs ``cancellations`` prefetched)."""
        return any(True for _c in self.cancellations.all())
