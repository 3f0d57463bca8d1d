from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_scopes import ScopedManager


class LogEntry(models.Model):
    """One audited change: who did what to which object, when, with the data before and after."""

    organizer = models.ForeignKey(
        "Organizer", on_delete=models.CASCADE, related_name="log_entries", null=True
    )
    event = models.ForeignKey("Event", on_delete=models.CASCADE, related_name="log_entries", null=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    api_token = models.ForeignKey("TeamAPIToken", on_delete=models.SET_NULL, null=True, blank=True)
    oauth_application = models.ForeignKey(
        "oauth2_provider.Application", on_delete=models.SET_NULL, null=True, blank=True
    )
    #: Dotted action name, such as ``eventyay.event.changed`` or ``eventyay_tickets.order.paid``.
    action_type = models.CharField(max_length=190, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True)
    object_id = models.CharField(max_length=64, blank=True)
    content_object = GenericForeignKey("content_type", "object_id")
    #: ``{"before": {...}, "after": {...}}`` for changes, free-form otherwise.
    data = models.JSONField(default=dict, blank=True)
    datetime = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-datetime", "-pk")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action_type} by {self.actor_display}"

    @property
    def actor_display(self) -> str:
        if self.user_id:
            return str(self.user)
        if self.api_token_id:
            return f"API token {self.api_token}"
        if self.oauth_application_id:
            return f"Application {self.oauth_application}"
        return "system"
