"""Check-in: lists of who may enter, and every successful scan."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event
from eventyay_tickets.models.catalogue import Product
from eventyay_tickets.models.orders import OrderPosition


class CheckinList(models.Model):
    """Which positions may be checked in at one entrance, and how."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="checkin_lists")
    name = models.CharField(_("Name"), max_length=190)
    all_products = models.BooleanField(_("All products"), default=True)
    products = models.ManyToManyField(
        Product, blank=True, related_name="checkin_lists", verbose_name=_("Products")
    )
    include_pending = models.BooleanField(_("Also admit unpaid (pending) orders"), default=False)
    allow_multiple_entries = models.BooleanField(_("Allow entering more than once"), default=False)
    allow_exit = models.BooleanField(_("Record exits (re-entry after an exit is allowed)"), default=False)
    created = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return self.name


class Checkin(models.Model):
    """One accepted scan. ``nonce`` (chosen by the device) makes replays of a scan idempotent."""

    class Type(models.TextChoices):
        ENTRY = "entry", _("Entry")
        EXIT = "exit", _("Exit")

    checkin_list = models.ForeignKey(CheckinList, on_delete=models.CASCADE, related_name="checkins")
    position = models.ForeignKey(OrderPosition, on_delete=models.CASCADE, related_name="checkins")
    type = models.CharField(max_length=8, choices=Type.choices, default=Type.ENTRY)
    #: When the scan happened on the device (offline devices upload later).
    datetime = models.DateTimeField(default=timezone.now)
    #: When the server recorded it.
    created = models.DateTimeField(default=timezone.now, db_index=True)
    nonce = models.CharField(max_length=190, blank=True)

    objects = ScopedManager(organizer="checkin_list__event__organizer")

    class Meta:
        ordering = ("-datetime", "-pk")
        indexes = [models.Index(fields=["checkin_list", "position", "datetime"])]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "nonce"], condition=~Q(nonce=""), name="tickets_checkin_nonce_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position_id} {self.type} {self.datetime:%Y-%m-%d %H:%M}"
