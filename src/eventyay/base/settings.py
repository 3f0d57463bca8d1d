"""Per-organizer and per-event settings with declared defaults.

Core and plugins declare their keys in :data:`DEFAULTS` (plugins through
:func:`register_default`). Reading an event setting falls back to the organizer's value, then
to the default. All values of one object are loaded with one query and memoised on the proxy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer

DEFAULTS: dict[str, Any] = {
    "contact_email": "",
    "imprint_url": "",
    "mail_from_name": "",
    "show_on_organizer_page": True,
    # The public frame (header colour and logo, footer links); see eventyay.base.selectors.public.
    "brand_color": "#1f4e79",
    "logo_url": "",
    "privacy_url": "",
}


def register_default(key: str, default: Any) -> None:
    """Declare a settings key and its default (plugins call this in ``ready()``)."""
    DEFAULTS.setdefault(key, default)


class SettingsProxy:
    def __init__(self, *, organizer: Organizer, event: Event | None = None) -> None:
        self.organizer = organizer
        self.event = event
        self._values: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._values is None:
            from django.db.models import Q

            from eventyay.base.models import Setting

            wanted = Q(event__isnull=True)
            if self.event is not None:
                wanted |= Q(event=self.event)
            rows = Setting.objects.filter(wanted, organizer=self.organizer)
            organizer_values: dict[str, Any] = {}
            event_values: dict[str, Any] = {}
            for row in rows.only("event_id", "key", "value"):
                if row.event_id is None:
                    organizer_values[row.key] = row.value
                elif self.event is not None and row.event_id == self.event.pk:
                    event_values[row.key] = row.value
            self._values = {**organizer_values, **event_values} if self.event else organizer_values
        return self._values

    def get(self, key: str, default: Any = None) -> Any:
        values = self._load()
        if key in values:
            return values[key]
        if default is not None:
            return default
        return DEFAULTS.get(key)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        return self.get(key)

    def set(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, values: dict[str, Any]) -> None:
        from eventyay.base.models import Setting

        with transaction.atomic():
            for key, value in values.items():
                Setting.objects.update_or_create(
                    organizer=self.organizer, event=self.event, key=key, defaults={"value": value}
                )
        self._values = None

    def delete(self, key: str) -> None:
        from eventyay.base.models import Setting

        Setting.objects.filter(organizer=self.organizer, event=self.event, key=key).delete()
        self._values = None

    def as_dict(self) -> dict[str, Any]:
        return {**DEFAULTS, **self._load()}
