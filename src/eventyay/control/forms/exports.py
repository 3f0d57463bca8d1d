"""Forms of the Export pages: an exporter's options, and when and where a schedule delivers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import QueryDict
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters import BaseExporter, options_form
from eventyay.base.models import ScheduledExport
from eventyay.control.forms import BootstrapMixin, bootstrap_widget


def exporter_options_form(
    exporter: BaseExporter, *, data: QueryDict | None, prefix: str, initial: dict[str, Any] | None = None
) -> forms.Form:
    """The exporter's options as a Bootstrap form; ``prefix`` keeps several on one page apart."""
    form = options_form(exporter)(data=data, prefix=prefix, initial=initial)
    for field in form.fields.values():
        bootstrap_widget(field.widget)
    return form


def unprefixed(data: QueryDict, prefix: str) -> QueryDict:
    """The submitted values of one prefixed form under their own names, as the services take them.

    A ``QueryDict`` rather than a plain dict, so options with several values keep them all.
    """
    start = f"{prefix}-"
    options = QueryDict(mutable=True)
    for key, values in data.lists():
        if key.startswith(start):
            options.setlist(key.removeprefix(start), values)
    return options


class ScheduleForm(BootstrapMixin, forms.Form):
    interval = forms.ChoiceField(label=_("Interval"), choices=ScheduledExport.Interval.choices)
    hour = forms.IntegerField(
        label=_("Hour of day"),
        min_value=0,
        max_value=23,
        initial=6,
        help_text=_("In the event's time zone, or the server's for exports across events."),
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekday"),
        # ISO weekdays, as the schedule stores them: Monday is 1.
        choices=[(number + 1, name) for number, name in WEEKDAYS.items()],
        coerce=int,
        initial=1,
        help_text=_("Only for weekly exports."),
    )
    recipients = forms.CharField(
        label=_("Mail to"),
        required=False,
        max_length=2000,
        help_text=_("Email addresses, separated by commas. The file is attached."),
    )
    webhook_url = forms.URLField(
        label=_("Or post to this URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("The file is sent as the body of a POST request."),
    )

    def __init__(self, *args: Any, instance: ScheduledExport | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "interval": instance.interval,
                    "hour": instance.hour,
                    "weekday": instance.weekday,
                    "recipients": ", ".join(instance.recipients),
                    "webhook_url": instance.webhook_url,
                },
            )
        super().__init__(*args, **kwargs)

    def clean_recipients(self) -> list[str]:
        addresses = [part.strip() for part in self.cleaned_data["recipients"].split(",") if part.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("“%(address)s” is no valid email address."), params={"address": address}
                ) from None
        return list(dict.fromkeys(addresses))
