"""Stripe events already handled, so a redelivered webhook changes nothing."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from eventyay.base.models import Event


class StripeEvent(models.Model):
    """One Stripe event id, inserted in the same transaction as the change it caused."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="stripe_events")
    stripe_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    received = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "stripe_id"], name="stripe_event_once")]

    def __str__(self) -> str:
        return self.stripe_id
