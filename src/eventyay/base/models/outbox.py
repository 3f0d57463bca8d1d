from __future__ import annotations

import uuid

from django.db import models
from django_scopes import ScopedManager


class OutgoingMail(models.Model):
    """A mail waiting to be sent, written in the same transaction as the change that causes it.

    Celery delivers it; ``delivery_key`` makes queueing idempotent and ``status`` makes sending
    happen at most once per row.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    organizer = models.ForeignKey("Organizer", on_delete=models.CASCADE, null=True, related_name="mails")
    event = models.ForeignKey("Event", on_delete=models.CASCADE, null=True, blank=True, related_name="mails")
    delivery_key = models.CharField(max_length=190, unique=True, default=uuid.uuid4)
    to = models.JSONField(default=list)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    #: ``[{"name": ..., "path": ..., "mimetype": ...}]`` of files in the media storage.
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True, db_index=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"
