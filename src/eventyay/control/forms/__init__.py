"""Forms of the control panel; they validate input, services apply it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models


def bootstrap_widget(widget: forms.Widget) -> None:
    """Give ``widget`` the Bootstrap 5 class matching its kind (each part of a multi-widget)."""
    if isinstance(widget, forms.MultiWidget):
        for part in widget.widgets:
            bootstrap_widget(part)
        return
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    classes = widget.attrs.get("class", "")
    if css not in classes.split():
        widget.attrs["class"] = f"{classes} {css}".strip()


def https_formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """A model form's field for ``field``, reading an address typed without a scheme as
    ``https://`` (set it as ``Meta.formfield_callback`` of a model form with URL fields)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class BootstrapMixin:
    """Adds Bootstrap classes to every widget, so templates can render fields generically."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            bootstrap_widget(field.widget)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named fields, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
