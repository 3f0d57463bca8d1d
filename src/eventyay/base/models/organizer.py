from __future__ import annotations

import hashlib
import secrets
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.settings import SettingsProxy
from eventyay.base.validators import validate_slug_not_reserved

if TYPE_CHECKING:
    from eventyay.base.models.event import Event

slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*$",
    _("Use lowercase letters, digits and hyphens only, starting with a letter or digit."),
)


class Organizer(models.Model):
    """The tenant: a company, association or person running events."""

    name = models.CharField(_("Name"), max_length=200)
    slug = models.CharField(
        _("Short form"),
        max_length=50,
        unique=True,
        validators=[slug_validator, validate_slug_not_reserved],
        help_text=_("Used in URLs, e.g. /<short form>/. Lowercase letters, digits and hyphens."),
    )
    require_2fa = models.BooleanField(_("Require two-factor authentication for members"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @cached_property
    def settings(self) -> SettingsProxy:
        """Settings store of this object (one query on first read, memoised on the instance)."""
        return SettingsProxy(organizer=self)


class OrganizerPlugin(models.Model):
    """Whether a plugin of level ``organizer`` is switched on for an organizer.

    Such a plugin counts as enabled on every event of the organizer: ``hooks_for(event)`` and
    the event notifications reach it there (see ``Event.enabled_plugin_names``).
    """

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="plugin_states")
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=False)
    modified = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        unique_together = (("organizer", "name"),)
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} for {self.organizer_id}: {'on' if self.enabled else 'off'}"


class Team(models.Model):
    """A group of users (and API tokens) with permissions on some or all events."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("Team name"), max_length=190)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    #: Namespaced permission names, e.g. ``event.settings:write``.
    permissions = models.JSONField(default=list, blank=True)
    all_events = models.BooleanField(_("All events (including future ones)"), default=False)
    # Annotated because event.py imports this module, so the type checker's Django plugin cannot
    # resolve the lazy reference here.
    limit_events: models.ManyToManyField[Event, Any] = models.ManyToManyField(
        "eventyay_base.Event", related_name="teams", blank=True
    )

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions


def generate_invite_token() -> str:
    return secrets.token_urlsafe(32)


class TeamInvite(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=generate_invite_token)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="team__organizer")

    class Meta:
        unique_together = (("team", "email"),)

    def __str__(self) -> str:
        return f"{self.email} → {self.team_id}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TeamAPIToken(models.Model):
    """A secret that acts with its team's permissions. Only its hash is stored."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("Name"), max_length=190)
    token_hash = models.CharField(max_length=64, unique=True, db_index=True)
    #: First characters of the secret, shown to tell tokens apart.
    prefix = models.CharField(max_length=8)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="team__organizer")

    class Meta:
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def hash(cls, token: str) -> str:
        return _hash_token(token)

    @staticmethod
    def generate_secret() -> str:
        return secrets.token_urlsafe(40)
