"""Forms for creating, changing and cloning events, and for their plugins."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from i18nfield.forms import I18nFormField

from eventyay.base.models import Event
from eventyay.base.plugins.manager import PluginInfo, installed_plugins
from eventyay.base.validators import validate_slug_not_reserved
from eventyay.control.forms import BootstrapMixin, bootstrap_widget
from eventyay.control.forms.auth import timezone_choices
from eventyay.control.forms.i18n import I18nTextarea, I18nTextInput

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


def local_datetime_field(label: StrOrPromise, *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=LocalDateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("In the event's time zone."),
    )


def in_timezone(value: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """Read a wall-clock time the form parsed (as UTC) as a time in ``timezone``."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(timezone))


def as_wall_clock(value: dt.datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime(DATETIME_FORMAT)


def plugin_choices_for(user: Any) -> list[PluginInfo]:
    """Plugins a user may pick when creating an event: visible ones; restricted ones for admins."""
    return [
        info
        for info in installed_plugins().values()
        if info.visible and (not info.restricted or user.is_superuser)
    ]


class EventFieldsMixin(BootstrapMixin):
    """The shared fields of the event forms; dates are entered in the event's time zone."""

    cleaned_data: dict[str, Any]

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise forms.ValidationError(_("Enter a three-letter ISO 4217 code, such as EUR."))
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        timezone = data.get("timezone") or "UTC"
        for field in ("date_from", "date_to"):
            if data.get(field) is not None:
                data[field] = in_timezone(data[field], timezone)
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The event cannot end before it starts."))  # type: ignore[attr-defined]
        locales = data.get("locales")
        locale = data.get("locale")
        if locales and locale and locale not in locales:
            self.add_error("locale", _("The default language must be one of the event's languages."))  # type: ignore[attr-defined]
        return data


def _i18n_name(locales: list[str]) -> I18nFormField:
    return I18nFormField(
        label=_("Name"), locales=locales, widget=I18nTextInput, max_length=200, required=True
    )


def _i18n_description(locales: list[str]) -> I18nFormField:
    return I18nFormField(
        label=_("Description"),
        locales=locales,
        widget=I18nTextarea,
        widget_kwargs={"attrs": {"rows": 4}},
        required=False,
    )


class EventForm(EventFieldsMixin, forms.Form):
    """Create an event (with plugins) or, with ``instance``, change its settings."""

    slug = forms.SlugField(
        label=_("Short form"),
        max_length=50,
        validators=[validate_slug_not_reserved],
        help_text=_("Used in URLs, e.g. /<organizer>/<short form>/."),
    )
    date_from = local_datetime_field(_("Start"), required=True)
    date_to = local_datetime_field(_("End"), required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, initial="UTC")
    locale = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES, initial="en")
    locales = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The languages the event's texts are offered in."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    is_public = forms.BooleanField(label=_("Listed publicly"), required=False, initial=True)
    live = forms.BooleanField(label=_("Live (visible to the public)"), required=False)
    plugins = forms.MultipleChoiceField(
        label=_("Plugins"), required=False, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["name", "slug", "description", "date_from", "date_to", "timezone", "locale", "locales"]

    def __init__(self, *args: Any, user: Any, instance: Event | None = None, **kwargs: Any) -> None:
        self.instance = instance
        locales = instance.active_locales if instance else [code for code, _name in settings.LANGUAGES]
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "description": instance.description,
                    "slug": instance.slug,
                    "date_from": as_wall_clock(instance.date_from, instance.timezone),
                    "date_to": as_wall_clock(instance.date_to, instance.timezone),
                    "timezone": instance.timezone,
                    "locale": instance.locale,
                    "locales": list(instance.locales),
                    "currency": instance.currency,
                    "is_public": instance.is_public,
                    "live": instance.live,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["name"] = _i18n_name(locales)
        self.fields["description"] = _i18n_description(locales)
        self.order_fields(self.field_order)
        for name in ("name", "description"):
            bootstrap_widget(self.fields[name].widget)
        if instance is not None:
            del self.fields["plugins"]
        else:
            choices = plugin_choices_for(user)
            plugin_field: Any = self.fields["plugins"]
            plugin_field.choices = [(info.name, info.display_name) for info in choices]
            self.fields["plugins"].initial = [
                info.name for info in choices if info.category == "FEATURE" and not info.restricted
            ]
            self.plugin_infos = {info.name: info for info in choices}

    @property
    def event_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "plugins"}


class EventCloneForm(EventFieldsMixin, forms.Form):
    slug = forms.SlugField(label=_("Short form"), max_length=50, validators=[validate_slug_not_reserved])
    date_from = local_datetime_field(_("Start"), required=True)
    date_to = local_datetime_field(_("End"), required=False)

    def __init__(self, *args: Any, source: Event, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("initial", {"name": source.name})
        super().__init__(*args, **kwargs)
        self.fields["name"] = _i18n_name(source.active_locales)
        bootstrap_widget(self.fields["name"].widget)
        self.order_fields(["name", "slug", "date_from", "date_to"])

    def clean(self) -> dict[str, Any]:
        self.cleaned_data["timezone"] = self.source.timezone
        data = super().clean()
        data.pop("timezone", None)
        return data
