from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


def generate_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebHook(models.Model):
    """An organizer's subscription: POST these action types to this URL."""

    organizer = models.ForeignKey("Organizer", on_delete=models.CASCADE, related_name="webhooks")
    target_url = models.URLField(_("Target URL"), max_length=255)
    enabled = models.BooleanField(_("Enabled"), default=True)
    all_events = models.BooleanField(_("All events (including future ones)"), default=True)
    limit_events = models.ManyToManyField("eventyay_base.Event", blank=True, related_name="webhooks")
    #: Subscribed action type names, e.g. ``["event.created", "order.paid"]``.
    action_types = models.JSONField(default=list)
    secret = models.CharField(max_length=64, default=generate_webhook_secret)
    #: Set when deliveries kept failing and the webhook was switched off automatically.
    disabled_reason = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.target_url


class WebHookDelivery(models.Model):
    """One action to deliver to one webhook; written in the transaction of the change."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    webhook = models.ForeignKey(WebHook, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True)
    action_type = models.CharField(max_length=190)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    #: Every attempt, scheduled or asked for by hand.
    attempts = models.PositiveIntegerField(default=0)
    #: Attempts asked for by hand: they do not move the retry schedule on, and their failure
    #: never switches the webhook off.
    manual_attempts = models.PositiveIntegerField(default=0)
    #: The next attempt was asked for by hand.
    manual_retry = models.BooleanField(default=False)
    next_attempt = models.DateTimeField(null=True, blank=True, db_index=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    #: A short, truncated excerpt of the receiver's answer (or why there was none).
    response_body = models.TextField(blank=True)
    #: A few headers of the receiver's answer (content type, length, location, retry-after).
    response_headers = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="webhook__organizer")

    class Meta:
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return f"{self.action_type} → {self.webhook_id} ({self.status})"
