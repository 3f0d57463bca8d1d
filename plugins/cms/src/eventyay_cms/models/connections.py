from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event
from eventyay.base.secrets import Secret, secret_decrypt, secret_encrypt


def _webhook_secret() -> str:
    return secret_encrypt(secrets.token_urlsafe(32))


class Connection(models.Model):
    """One CMS an event pulls pages from and/or pushes its programme into.

    ``password`` and ``webhook_secret`` hold values of :func:`eventyay.base.secrets.secret_encrypt`;
    read them with :meth:`credentials` and :meth:`signing_secret`, which return masked
    :class:`~eventyay.base.secrets.Secret` objects so they never end up in logs by accident.
    """

    class Type(models.TextChoices):
        WORDPRESS = "wordpress", "WordPress"
        WAGTAIL = "wagtail", "Wagtail"

    class ConflictPolicy(models.TextChoices):
        EVENTYAY_WINS = "eventyay_wins", _("eventyay wins, the conflict is logged")
        SKIP_AND_ALERT = "skip_and_alert", _("Skip the push and alert")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="cms_connections")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A connector identifier of the register_cms_connectors hook; first-party ones are in Type.
    type = models.CharField(max_length=32)
    name = models.CharField(_("Name"), max_length=190, blank=True)
    base_url = models.URLField(_("Base URL"), max_length=500)
    username = models.CharField(_("User name"), max_length=190, blank=True)
    password = models.TextField(blank=True)
    webhook_secret = models.TextField(default=_webhook_secret)
    pull = models.JSONField(default=list, blank=True)
    push = models.JSONField(default=list, blank=True)
    conflict_policy = models.CharField(
        max_length=20, choices=ConflictPolicy.choices, default=ConflictPolicy.EVENTYAY_WINS
    )
    # Per kind ("page", "post"): the source's modification time of the newest pulled item, as
    # ISO 8601; moved only after the batch holding that item committed.
    cursor = models.JSONField(default=dict, blank=True)
    # Settings of the connector type's own form.
    options = models.JSONField(default=dict, blank=True)
    last_sync = models.DateTimeField(null=True, blank=True)
    last_reconciled = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.name or self.base_url

    def credentials(self) -> tuple[str, Secret]:
        return self.username, secret_decrypt(self.password) if self.password else Secret("")

    def signing_secret(self) -> Secret:
        return secret_decrypt(self.webhook_secret)

    def counts(self) -> dict[str, Any]:
        """Pages, pushed objects, waiting pushes, conflicts and errors (annotated by
        :func:`with_counts` on lists, so that they cost no query per row)."""
        annotated = getattr(self, "count_pages", None)
        if annotated is None:
            with_annotations = with_counts(Connection.objects.filter(pk=self.pk)).get()
            return with_annotations.counts()
        return {name: getattr(self, f"count_{name}") or 0 for name in COUNT_NAMES}


#: The figures of :meth:`Connection.counts`.
COUNT_NAMES = ("pages", "unpublished", "pushed", "outbox", "conflicts", "errors")


def _count(model: type[models.Model], **filters: Any) -> Coalesce:
    rows = (
        model._base_manager.filter(connection=OuterRef("pk"), **filters)
        .order_by()
        .values("connection")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


def with_counts(queryset: models.QuerySet[Connection]) -> models.QuerySet[Connection]:
    """``queryset`` with the figures of :meth:`Connection.counts` as one subquery each."""
    from eventyay_cms.models.pull import PulledPage
    from eventyay_cms.models.push import OutboxEntry, PushMapping

    return queryset.annotate(
        count_pages=_count(PulledPage, published=True),
        count_unpublished=_count(PulledPage, published=False),
        count_pushed=_count(PushMapping, remote_id__gt=""),
        count_outbox=_count(OutboxEntry),
        count_conflicts=_count(SyncLogEntry, kind="conflict"),
        count_errors=_count(SyncLogEntry, kind="error"),
    )


class SyncLogEntry(models.Model):
    """A sync's error or conflict, for the status page (never holds credentials)."""

    class Kind(models.TextChoices):
        ERROR = "error", _("Error")
        CONFLICT = "conflict", _("Conflict")
        INFO = "info", _("Info")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.TextField()
    resource = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ScopedManager(organizer="connection__event__organizer")

    class Meta:
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return self.message
