"""What was imported from another ticketing system, so that an import can run again.

Each imported object has a :class:`PretixImportRecord` with its id at the source; a second run
finds it there and updates it instead of creating a duplicate, and a run that stopped half-way
starts again where it stopped (orders whose ``last_modified`` did not change are skipped).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from eventyay.base.models import Event


class PretixImport(models.Model):
    """The pretix event an eventyay event was imported from (one source per event)."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="pretix_import")
    #: The API root of the source, e.g. ``https://pretix.eu/api/v1/``.
    source_url = models.URLField(max_length=500)
    source_organizer = models.CharField(max_length=190)
    source_event = models.CharField(max_length=190)
    created = models.DateTimeField(default=timezone.now)
    last_run = models.DateTimeField(null=True, blank=True)
    #: The report of the last run that was written (counts per type, skipped items).
    last_report = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    def __str__(self) -> str:
        return f"{self.source_url} {self.source_organizer}/{self.source_event}"


class PretixImportRecord(models.Model):
    """One imported object: its kind and id at the source, and the row it became here."""

    pretix_import = models.ForeignKey(PretixImport, on_delete=models.CASCADE, related_name="records")
    #: ``taxrule``, ``category``, ``item``, ``variation``, ``quota``, ``question``, ``option``,
    #: ``voucher``, ``order``, ``checkinlist``, ``invoice``.
    kind = models.CharField(max_length=32)
    source_id = models.CharField(max_length=190)
    object_id = models.PositiveBigIntegerField()
    #: The source's ``last_modified`` of the object when it was imported (orders), if it has one.
    source_modified = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(organizer="pretix_import__event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pretix_import", "kind", "source_id"], name="tickets_pretix_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} → {self.object_id}"
