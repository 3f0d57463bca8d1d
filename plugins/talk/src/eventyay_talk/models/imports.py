"""Where an event's talk data was imported from, so that an import can run again.

Each imported object has a :class:`TalkImportRecord` with its id at the source (a pretalx id or
code, or a guid of a schedule XML); a second run finds it there and updates it instead of creating
a duplicate.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event


class TalkImport(models.Model):
    """One source an event's talk data comes from: a pretalx event or a schedule XML."""

    class SourceKind(models.TextChoices):
        PRETALX = "pretalx", _("pretalx")
        SCHEDULE_XML = "schedule_xml", _("Schedule XML")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="talk_imports")
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices)
    #: The API root of a pretalx instance, or the URL or file name of a schedule XML.
    source_url = models.CharField(max_length=500)
    #: The event's slug at the source (pretalx); empty for a schedule XML.
    source_event = models.CharField(max_length=190, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_run = models.DateTimeField(null=True, blank=True)
    #: The report of the last run that was written (counts per type, skipped items).
    last_report = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "source_kind", "source_url", "source_event"],
                name="talk_import_source_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_kind} {self.source_url} {self.source_event}".strip()


class TalkImportRecord(models.Model):
    """One imported object: its kind and id at the source, and the row it became here."""

    talk_import = models.ForeignKey(TalkImport, on_delete=models.CASCADE, related_name="records")
    #: ``submission_type``, ``track``, ``room``, ``question``, ``option``, ``submission``,
    #: ``speaker``, ``review``, ``schedule``, ``slot``.
    kind = models.CharField(max_length=32)
    source_id = models.CharField(max_length=190)
    object_id = models.PositiveBigIntegerField()
    #: A fingerprint of the source object when it was imported, to skip unchanged objects.
    source_modified = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(organizer="talk_import__event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["talk_import", "kind", "source_id"], name="talk_import_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} → {self.object_id}"
