"""The exporter contract: what a plugin's exporter declares and how it is run.

An exporter is a class registered through the ``register_data_exporters`` (one event) or
``register_organizer_exporters`` (several events of an organizer) hook. eventyay instantiates it
for one run, validates the options the user chose against :meth:`BaseExporter.option_fields`
and calls :meth:`BaseExporter.render` in a background job, with a file to write to and a
:class:`Progress` to report to. Most exporters subclass one of the bases in
:mod:`eventyay.base.exporters` instead of implementing ``render`` themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, ClassVar, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer
    from eventyay.base.plugins.records import Text

T = TypeVar("T")


class Progress:
    """Where an exporter reports how far it got; the job shows it as a percentage.

    Call it with a percentage, or wrap the rows being written with :meth:`iterate` so the
    percentage follows the count. Reports are cheap: the job stores them about once a second.
    """

    def __init__(self, report: Callable[[int], None] | None = None, *, interval: float = 1.0) -> None:
        self._report = report
        self._interval = interval
        self._last_time: float | None = None
        self.percentage = 0

    def __call__(self, percentage: float) -> None:
        value = max(0, min(100, int(percentage)))
        if value == self.percentage:
            return
        self.percentage = value
        now = time.monotonic()
        due = self._last_time is None or now - self._last_time >= self._interval
        if self._report is not None and (due or value == 100):
            self._last_time = now
            self._report(value)

    def iterate(
        self, items: Iterable[T], total: int | None, *, start: float = 0, end: float = 100
    ) -> Iterator[T]:
        """Yield ``items`` and move the percentage from ``start`` to ``end`` as they go by."""
        if not total:
            yield from items
            self(end)
            return
        span = end - start
        for count, item in enumerate(items, 1):
            yield item
            if count % 100 == 0 or count == total:
                self(start + span * min(count, total) / total)
        self(end)


class BaseExporter:
    """One kind of export.

    A subclass sets the class attributes below and implements :meth:`render`. It is created for
    each run with the event (event exporters) or with the events the requester may export from
    (organizer exporters).
    """

    #: Unique among all exporters of a level, used in URLs and the API: ``orders``, ``speakers``.
    identifier: ClassVar[str]
    #: What the user picks in the list: "Orders".
    verbose_name: ClassVar[Text]
    #: One sentence on what the file holds.
    description: ClassVar[Text] = ""
    #: Exporters are grouped by category on the Export page: "Orders", "Speakers".
    category: ClassVar[Text] = _("Other")
    #: The team permission the requester needs, e.g. ``event.orders:read``; checked on the event
    #: for event exporters and for every exported event for organizer exporters.
    required_permission: ClassVar[str]

    def __init__(
        self,
        *,
        organizer: Organizer,
        event: Event | None = None,
        events: QuerySet[Event] | None = None,
    ) -> None:
        self.organizer = organizer
        self.event = event
        self._events = events

    @property
    def events(self) -> QuerySet[Event]:
        """The events to export from: the one event, or those an organizer exporter may read."""
        if self._events is not None:
            return self._events
        from eventyay.base.models import Event

        assert self.event is not None
        return Event.objects.filter(pk=self.event.pk)

    def option_fields(self) -> dict[str, forms.Field]:
        """Form fields for the options a user chooses before running the export.

        They are shown on the Export page and listed as ``input_parameters`` in the API, where
        each is passed by its name. Names starting with ``_`` are the bases' own (``_format``).
        """
        return {}

    def clean_options(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate ``data`` against :meth:`option_fields`; raises ``ValidationError`` by field."""
        form = options_form(self)(data=data)
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        return {name: _json_value(value) for name, value in form.cleaned_data.items()}

    def render(self, options: dict[str, Any], output: IO[bytes], progress: Progress) -> tuple[str, str]:
        """Write the export to ``output`` and return ``(filename, content_type)``.

        ``options`` are the cleaned options (JSON values: dates as ISO strings). Write as you go
        rather than building the whole file in memory; report progress now and then.
        """
        raise NotImplementedError

    def base_filename(self) -> str:
        """``<organizer>_<event>_<identifier>`` (or ``<organizer>_<identifier>``), without extension."""
        parts = [self.organizer.slug, self.event.slug if self.event is not None else "", self.identifier]
        return "_".join(part for part in parts if part)


def options_form(exporter: BaseExporter) -> type[forms.Form]:
    """A form class with the exporter's option fields, named after the exporter."""
    return type(f"{type(exporter).__name__}Options", (forms.Form,), dict(exporter.option_fields()))


def input_parameters(exporter: BaseExporter) -> list[dict[str, Any]]:
    """The exporter's options as the API lists them: name, required and, for choices, the values."""
    parameters = []
    for name, field in exporter.option_fields().items():
        parameter: dict[str, Any] = {"name": name, "required": bool(field.required)}
        choices = getattr(field, "choices", None)
        if choices is not None:
            parameter["choices"] = [str(value) for value, _label in choices if value not in ("", None)]
        if field.initial not in (None, ""):
            parameter["default"] = _json_value(field.initial)
        parameters.append(parameter)
    return parameters


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    # A model multiple choice field cleans to a QuerySet: stored as the list of primary keys.
    if isinstance(value, list | tuple | set | frozenset | QuerySet):
        return [_json_value(item) for item in value]
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value
