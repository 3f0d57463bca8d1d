"""Multi-language text widgets whose inputs each carry an accessible name.

django-i18nfield renders one input per language inside a ``<div>`` that the field's ``<label>``
points at; the inputs themselves are named only by a ``title`` (the language), which screen
readers announce poorly and accessibility audits flag. These widgets give each input an
``aria-label`` of the field's label and the language, e.g. "Name (German)".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from i18nfield.forms import I18nTextarea as BaseI18nTextarea
from i18nfield.forms import I18nTextInput as BaseI18nTextInput


class _AccessibleNames:
    locales: list[str]
    widgets: list[Any]
    field: Any

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        label = str(getattr(self.field, "label", "") or name)
        languages = dict(settings.LANGUAGES)
        for widget, locale in zip(self.widgets, self.locales, strict=False):
            widget.attrs["aria-label"] = f"{label} ({languages.get(locale, locale)})"
        return super().render(name, value, attrs, renderer)  # type: ignore[misc]


class I18nTextInput(_AccessibleNames, BaseI18nTextInput):
    """One text input per language, each named "<label> (<language>)"."""


class I18nTextarea(_AccessibleNames, BaseI18nTextarea):
    """One text area per language, each named "<label> (<language>)"."""
