from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from i18nfield.fields import I18nCharField, I18nTextField

#: Version names that address a schedule rather than name one.
RESERVED_VERSIONS = ("wip", "latest")


class Room(models.Model):
    event = models.ForeignKey("eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_rooms")
    name = I18nCharField(_("Name"), max_length=100)
    description = I18nTextField(_("Description"), blank=True, null=True)
    capacity = models.PositiveIntegerField(_("Capacity"), null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    guid = models.UUIDField(default=uuid.uuid4, editable=False)
    #: ``[{"start": iso datetime, "end": iso datetime}, ...]``; empty means "always".
    availabilities = models.JSONField(default=list, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return str(self.name)


class Schedule(models.Model):
    """A schedule version. ``version`` is empty for the one work-in-progress schedule per event."""

    event = models.ForeignKey("eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_schedules")
    version = models.CharField(_("Version"), max_length=190, null=True, blank=True)
    published = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("Comment"), blank=True)
    #: ``{"new": [...], "moved": [...], "canceled": [...]}`` compared with the previous release.
    changelog = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("-published", "-pk")
        constraints = [
            models.UniqueConstraint(fields=["event", "version"], name="talk_unique_schedule_version"),
            models.UniqueConstraint(
                fields=["event"], condition=models.Q(version__isnull=True), name="talk_one_wip_schedule"
            ),
        ]

    def __str__(self) -> str:
        return self.version or "wip"

    @property
    def is_wip(self) -> bool:
        return self.version is None


class TalkSlot(models.Model):
    """A submission, break or blocker at a time in a room of one schedule version."""

    class Kind(models.TextChoices):
        TALK = "talk", _("Talk")
        BREAK = "break", _("Break")
        BLOCKER = "blocker", _("Blocker")

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="slots")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TALK)
    submission = models.ForeignKey(
        "eventyay_talk.Submission", on_delete=models.CASCADE, null=True, blank=True, related_name="slots"
    )
    description = I18nCharField(_("Description"), max_length=200, blank=True, null=True)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="slots")
    start = models.DateTimeField(null=True, blank=True, db_index=True)
    end = models.DateTimeField(null=True, blank=True)
    #: Breaks and blockers keep this across releases; talks use the submission's stable guid.
    guid = models.UUIDField(default=uuid.uuid4)

    objects = ScopedManager(organizer="schedule__event__organizer")

    class Meta:
        ordering = ("start", "room__position", "pk")

    def __str__(self) -> str:
        return f"{self.kind} {self.submission_id or ''} @ {self.start}"

    @property
    def is_scheduled(self) -> bool:
        return bool(self.room_id and self.start and self.end)


class ScheduleExport(models.Model):
    """A released version's export, rendered once at release so it never changes afterwards."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="exports")
    identifier = models.CharField(max_length=32)
    content = models.BinaryField()
    content_type = models.CharField(max_length=100)
    etag = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="schedule__event__organizer")

    class Meta:
        unique_together = (("schedule", "identifier"),)

    def __str__(self) -> str:
        return f"{self.schedule_id}.{self.identifier}"


class StarredTalk(models.Model):
    event = models.ForeignKey("eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_stars")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talk_stars")
    submission = models.ForeignKey("eventyay_talk.Submission", on_delete=models.CASCADE, related_name="stars")
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("user", "submission"),)

    def __str__(self) -> str:
        return f"{self.user_id} ☆ {self.submission_id}"


def generate_feed_token() -> str:
    return secrets.token_urlsafe(32)


class StarFeedToken(models.Model):
    """The secret in a user's personal iCal feed URL of starred talks at one event."""

    event = models.ForeignKey(
        "eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_feed_tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talk_feed_tokens"
    )
    token = models.CharField(max_length=64, unique=True, default=generate_feed_token)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("event", "user"),)

    def __str__(self) -> str:
        return f"feed {self.event_id}/{self.user_id}"
