from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager


class OutgoingMail(models.Model):
    """A mail waiting to be sent, written in the same transaction as the change that causes it.

    Celery delivers it; ``delivery_key`` makes queueing idempotent. A worker claims the row
    before sending (:func:`eventyay.base.services.outbox.claim_due`): it is due while
    ``next_attempt`` is in the past, from the moment it is written. Claiming sets the status to
    ``sending`` and moves ``next_attempt`` to the end of the lease, so a row whose worker died
    comes due again and the periodic sweep recovers it.
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
    #: ``[{"name": ..., "path": ..., "mimetype": ...}]`` of files in the private storage.
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    #: When the mail is due (again); while it is being sent, the end of the sender's lease.
    next_attempt = models.DateTimeField(null=True, blank=True, db_index=True, default=timezone.now)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"
