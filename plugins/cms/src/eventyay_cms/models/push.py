from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from eventyay_cms.models.connections import Connection


class PushMapping(models.Model):
    """Which remote object stands for one of our resources (``session:ABC``, ``schedule``).

    Written with its deterministic ``slug`` *before* the remote object is created, so a push
    that crashed between creating it and saving ``remote_id`` looks the slug up instead of
    creating a second copy.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="mappings")
    resource = models.CharField(max_length=64)
    slug = models.SlugField(max_length=190)
    remote_id = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    # The remote's modification time right after our last push: a later one means an edit there.
    remote_modified = models.DateTimeField(null=True, blank=True)
    pushed = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="connection__event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "resource"], name="cms_mapping_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} → {self.remote_id or '?'}"


class OutboxEntry(models.Model):
    """A resource to push: one row per (connection, resource), however often it changed.

    The payload is built from the current state when the row is sent, so several changes
    coalesce into one push of the latest state.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="outbox")
    resource = models.CharField(max_length=64)
    queued = models.DateTimeField(default=timezone.now)
    due = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = ScopedManager(organizer="connection__event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "resource"], name="cms_outbox_resource"),
        ]

    def __str__(self) -> str:
        return self.resource
