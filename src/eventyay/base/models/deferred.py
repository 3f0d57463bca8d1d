from __future__ import annotations

from django.db import models
from django.utils import timezone


class DeferredEffect(models.Model):
    """Side effects of one write (audit log, webhooks, mails, plugin hooks), recorded in its
    transaction and carried out after the commit by :mod:`eventyay.base.services.deferred`.

    The row exists exactly when the write does. A worker takes it with ``SKIP LOCKED``, carries
    out what ``kind`` says in the same transaction that deletes the row, so the effects happen
    once per row. A row that failed waits for ``next_attempt``; one that failed too often keeps
    ``next_attempt`` empty and its ``error`` for an administrator.
    """

    kind = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    organizer = models.ForeignKey(
        "Organizer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey("Event", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    #: When the row is due (again); empty once it has failed for good.
    next_attempt = models.DateTimeField(null=True, blank=True, default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt", "id"], name="eventyay_deferred_due")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
