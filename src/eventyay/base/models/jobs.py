from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=24)


class Job(models.Model):
    """A piece of background work someone asked for, with its progress and result file.

    Exports are jobs (``kind="export"``); the id is a UUID because it appears in download
    URLs. The file lives in the private storage and is deleted with the job when it expires.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    organizer = models.ForeignKey("Organizer", on_delete=models.CASCADE, related_name="jobs")
    event = models.ForeignKey("Event", on_delete=models.CASCADE, null=True, blank=True, related_name="jobs")
    #: What to run, e.g. an exporter's identifier, and the options it was given.
    identifier = models.CharField(max_length=190)
    options = models.JSONField(default=dict, blank=True)
    #: Who asked: a user (control panel, OAuth or a session) or a team token. Only the same one
    #: may fetch the result.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.ForeignKey(
        "TeamAPIToken", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    #: Last sign of life of the worker running it; a stale one means the worker died.
    heartbeat = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: Name of the result in the private storage, and what the download is called.
    file = models.CharField(max_length=255, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(default=_expiry, db_index=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created",)
        indexes = [models.Index(fields=["organizer", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.identifier} ({self.state}, {self.progress} %)"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class ScheduledExport(models.Model):
    """An export that runs by itself, daily or weekly, and is mailed or posted to a URL.

    It runs with the permissions its owner has at the time: an owner who lost them (or left
    the organizer) stops it, and the failure is recorded on it.
    """

    class Interval(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    organizer = models.ForeignKey("Organizer", on_delete=models.CASCADE, related_name="scheduled_exports")
    event = models.ForeignKey(
        "Event", on_delete=models.CASCADE, null=True, blank=True, related_name="scheduled_exports"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    identifier = models.CharField(_("Export"), max_length=190)
    options = models.JSONField(default=dict, blank=True)
    interval = models.CharField(
        _("Interval"), max_length=16, choices=Interval.choices, default=Interval.DAILY
    )
    #: Local hour (in the event's or organizer's time zone) and, for weekly runs, ISO weekday.
    hour = models.PositiveSmallIntegerField(_("Hour of day"), default=6)
    weekday = models.PositiveSmallIntegerField(_("Weekday"), default=1)
    recipients = models.JSONField(_("Mail to"), default=list, blank=True)
    webhook_url = models.URLField(_("Or post to this URL"), max_length=500, blank=True)
    enabled = models.BooleanField(_("Active"), default=True)
    next_run = models.DateTimeField(db_index=True)
    last_run = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("next_run",)

    def __str__(self) -> str:
        return f"{self.identifier} ({self.interval})"
