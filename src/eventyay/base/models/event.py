from __future__ import annotations

import zoneinfo
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from i18nfield.fields import I18nCharField, I18nTextField

from eventyay.base.models.organizer import Organizer, OrganizerPlugin, slug_validator
from eventyay.base.settings import SettingsProxy
from eventyay.base.validators import validate_slug_not_reserved


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone “%(tz)s”."), params={"tz": value})


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


class Event(models.Model):
    organizer = models.ForeignKey(Organizer, on_delete=models.PROTECT, related_name="events")
    name = I18nCharField(_("Name"), max_length=200)
    slug = models.CharField(
        _("Short form"),
        max_length=50,
        validators=[slug_validator, validate_slug_not_reserved],
        help_text=_("Used in URLs, e.g. /<organizer>/<short form>/."),
    )
    description = I18nTextField(_("Description"), blank=True, null=True)
    date_from = models.DateTimeField(_("Start"))
    date_to = models.DateTimeField(_("End"), null=True, blank=True)
    timezone = models.CharField(_("Time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    locale = models.CharField(_("Default language"), max_length=16, default="en")
    #: The languages this event's texts are offered in.
    locales = models.JSONField(default=list, blank=True)
    currency = models.CharField(_("Currency"), max_length=3, default="EUR")
    is_public = models.BooleanField(_("Listed publicly"), default=True)
    live = models.BooleanField(_("Live (visible to the public)"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        unique_together = (("organizer", "slug"),)
        ordering = ("date_from", "slug")

    def __str__(self) -> str:
        return str(self.name)

    def get_absolute_url(self) -> str:
        return reverse("public:event.index", kwargs={"organizer": self.organizer.slug, "event": self.slug})

    def clean(self) -> None:
        if self.date_to and self.date_from and self.date_to < self.date_from:
            raise ValidationError({"date_to": _("The event cannot end before it starts.")})
        unknown = [code for code in self.locales or [] if code not in language_codes()]
        if unknown:
            raise ValidationError({"locales": _("Unknown languages: %s") % ", ".join(unknown)})
        if self.locale not in language_codes():
            raise ValidationError({"locale": _("Unknown language.")})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def active_locales(self) -> list[str]:
        return list(self.locales) or [self.locale]

    @cached_property
    def enabled_plugin_names(self) -> frozenset[str]:
        """Names of the plugins switched on here; one query, memoised on this instance.

        Plugins of level ``organizer`` switched on for the organizer count as switched on here.
        """
        here = self.plugin_states.filter(enabled=True).order_by().values_list("name", flat=True)
        for_organizer = (
            OrganizerPlugin.objects.filter(organizer_id=self.organizer_id, enabled=True)
            .order_by()
            .values_list("name", flat=True)
        )
        return frozenset(here.union(for_organizer))

    def refresh_plugins(self) -> None:
        self.__dict__.pop("enabled_plugin_names", None)

    def has_plugin(self, name: str) -> bool:
        return name in self.enabled_plugin_names

    @cached_property
    def settings(self) -> SettingsProxy:
        """Settings store of this object (one query on first read, memoised on the instance)."""
        return SettingsProxy(organizer=self.organizer, event=self)


class EventPlugin(models.Model):
    """Whether a plugin is switched on for an event, and its per-event settings."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="plugin_states")
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=False)
    settings = models.JSONField(default=dict, blank=True)
    modified = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("event", "name"),)
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} on {self.event_id}: {'on' if self.enabled else 'off'}"
