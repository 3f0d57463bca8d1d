"""Exporters of rows: one list (:class:`ListExporter`) or several (:class:`MultiSheetListExporter`).

A subclass says which columns it has and yields rows; the base writes them as CSV (comma,
semicolon or Excel dialect), XLSX (openpyxl's write-only mode, so memory stays flat however many
rows there are) or JSON, streaming into the output file. Text that a spreadsheet would run as a
formula is neutralised in CSV and XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font

from eventyay.base.exporters.base import BaseExporter, Progress

if TYPE_CHECKING:
    from eventyay.base.plugins.records import Text

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Leading characters that make a spreadsheet treat a cell as a formula (or, for tab and
#: carriage return, that some spreadsheets strip before doing so).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise_formula(value: str) -> str:
    """``value`` made safe to open in a spreadsheet: a leading formula character is quoted."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """A column of a list: ``key`` names it in JSON, ``label`` heads it in CSV and XLSX."""

    key: str
    label: Text


@dataclass(frozen=True)
class Sheet:
    """One list of a multi-sheet export: a worksheet in XLSX, a key in JSON, a choice for CSV."""

    key: str
    title: Text


@dataclass(frozen=True)
class _Format:
    extension: str
    content_type: str
    label: Text


FORMATS: dict[str, _Format] = {
    "xlsx": _Format(".xlsx", XLSX_CONTENT_TYPE, _("Excel (.xlsx)")),
    "csv": _Format(".csv", "text/csv; charset=utf-8", _("CSV (comma-separated)")),
    "csv-semicolon": _Format(
        ".csv", "text/csv; charset=utf-8", _("CSV (semicolon-separated, e.g. Excel in Europe)")
    ),
    "csv-excel": _Format(".csv", "text/csv; charset=utf-8", _("CSV (Excel dialect)")),
    "json": _Format(".json", "application/json", _("JSON")),
}


class MultiSheetListExporter(BaseExporter):
    """An export of several lists, such as orders and their positions.

    Implement :meth:`sheets`, :meth:`sheet_columns` and :meth:`sheet_rows` (and, for a moving
    progress bar, :meth:`sheet_total`). XLSX holds every sheet, JSON an object of lists keyed by
    sheet, CSV the one sheet chosen in the ``_sheet`` option.
    """

    #: The formats offered, in this order; the first is the default.
    formats: ClassVar[Sequence[str]] = ("xlsx", "csv", "csv-semicolon", "csv-excel", "json")

    def sheets(self, options: dict[str, Any]) -> Sequence[Sheet]:
        raise NotImplementedError

    def sheet_columns(self, sheet: str, options: dict[str, Any]) -> Sequence[Column]:
        raise NotImplementedError

    def sheet_rows(self, sheet: str, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        """Yield one sequence of cell values per row, in the order of :meth:`sheet_columns`.

        Values may be text, numbers, ``Decimal``, booleans, dates, datetimes (shown in the
        exporter's time zone) or None. Read rows in chunks (``.iterator(chunk_size=…)``).
        """
        raise NotImplementedError

    def sheet_total(self, sheet: str, options: dict[str, Any]) -> int | None:
        """How many rows :meth:`sheet_rows` will yield, if known cheaply (for the progress bar)."""
        return None

    # -- options ---------------------------------------------------------------------------------

    def option_fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {
            "_format": forms.ChoiceField(
                label=_("File format"),
                choices=[(name, FORMATS[name].label) for name in self.formats],
                initial=self.formats[0],
                # The API may leave it out and gets the first format, as pretix clients expect.
                required=False,
            )
        }
        sheets = self.sheets({})
        if len(sheets) > 1 and any(name.startswith("csv") for name in self.formats):
            fields["_sheet"] = forms.ChoiceField(
                label=_("List (CSV holds one)"),
                choices=[(sheet.key, sheet.title) for sheet in sheets],
                initial=sheets[0].key,
                required=False,
            )
        return fields

    # -- rendering -------------------------------------------------------------------------------

    @property
    def timezone(self) -> dt.tzinfo:
        name = self.event.timezone if self.event is not None else settings.TIME_ZONE
        return zoneinfo.ZoneInfo(str(name))

    def render(self, options: dict[str, Any], output: IO[bytes], progress: Progress) -> tuple[str, str]:
        fmt = options.get("_format") or self.formats[0]
        sheets = list(self.sheets(options))
        if fmt.startswith("csv") and len(sheets) > 1:
            chosen = options.get("_sheet") or sheets[0].key
            sheets = [sheet for sheet in sheets if sheet.key == chosen] or sheets[:1]
        if fmt == "xlsx":
            self._write_xlsx(sheets, options, output, progress)
        elif fmt == "json":
            self._write_json(sheets, options, output, progress)
        else:
            self._write_csv(sheets[0], fmt, options, output, progress)
        suffix = f"_{sheets[0].key}" if fmt.startswith("csv") and len(self.sheets(options)) > 1 else ""
        return self.base_filename() + suffix + FORMATS[fmt].extension, FORMATS[fmt].content_type

    def _rows(
        self, sheets: list[Sheet], index: int, options: dict[str, Any], progress: Progress
    ) -> Iterable[Any]:
        share = 100 / len(sheets)
        sheet = sheets[index].key
        return progress.iterate(
            self.sheet_rows(sheet, options),
            self.sheet_total(sheet, options),
            start=index * share,
            end=(index + 1) * share,
        )

    def _write_csv(
        self, sheet: Sheet, fmt: str, options: dict[str, Any], output: IO[bytes], progress: Progress
    ) -> None:
        # Excel only reads UTF-8 correctly with a byte order mark.
        encoding = "utf-8" if fmt == "csv" else "utf-8-sig"
        text = io.TextIOWrapper(output, encoding=encoding, newline="")  # type: ignore[type-var]
        if fmt == "csv-semicolon":
            writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        elif fmt == "csv-excel":
            writer = csv.writer(text, dialect="excel")
        else:
            # RFC 4180 ends lines with CRLF, which also makes the writer quote a bare CR in a value.
            writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(
            [neutralise_formula(str(column.label)) for column in self.sheet_columns(sheet.key, options)]
        )
        for row in self._rows([sheet], 0, options, progress):
            writer.writerow([self._csv_cell(value) for value in row])
        text.flush()
        text.detach()

    def _write_xlsx(
        self, sheets: list[Sheet], options: dict[str, Any], output: IO[bytes], progress: Progress
    ) -> None:
        workbook = Workbook(write_only=True)
        bold = Font(bold=True)
        for index, sheet in enumerate(sheets):
            worksheet = workbook.create_sheet(
                _SHEET_TITLE_FORBIDDEN.sub(" ", str(sheet.title))[:31] or sheet.key
            )
            header = []
            for column in self.sheet_columns(sheet.key, options):
                cell = WriteOnlyCell(worksheet, value=neutralise_formula(str(column.label)))
                cell.font = bold
                header.append(cell)
            worksheet.append(header)
            for row in self._rows(sheets, index, options, progress):
                worksheet.append([self._xlsx_cell(value) for value in row])
        workbook.save(output)

    def _write_json(
        self, sheets: list[Sheet], options: dict[str, Any], output: IO[bytes], progress: Progress
    ) -> None:
        text = io.TextIOWrapper(output, encoding="utf-8", newline="\n")  # type: ignore[type-var]
        single = isinstance(self, ListExporter)
        if not single:
            text.write("{")
        for index, sheet in enumerate(sheets):
            keys = [column.key for column in self.sheet_columns(sheet.key, options)]
            if not single:
                text.write(("," if index else "") + json.dumps(sheet.key) + ":")
            text.write("[")
            for count, row in enumerate(self._rows(sheets, index, options, progress)):
                record = {key: self._json_cell(value) for key, value in zip(keys, row, strict=False)}
                text.write(("," if count else "") + "\n" + json.dumps(record, ensure_ascii=False))
            text.write("\n]")
        if not single:
            text.write("}")
        text.write("\n")
        text.flush()
        text.detach()

    # -- cells -----------------------------------------------------------------------------------

    def _local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(self.timezone) if value.tzinfo is not None else value

    def _csv_cell(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, dt.datetime):
            return self._local(value).strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, int | float | Decimal):
            return str(value)
        return neutralise_formula(str(value))

    def _xlsx_cell(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | Decimal):
            return value
        if isinstance(value, dt.datetime):
            # Excel has no time zones: the local time of the event, as the organizer reads it.
            return self._local(value).replace(tzinfo=None)
        if isinstance(value, dt.date):
            return value
        return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", str(value)))

    def _json_cell(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return self._local(value).isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        return str(value)


class ListExporter(MultiSheetListExporter):
    """An export of one list: implement :meth:`columns` and :meth:`rows` (and :meth:`total`).

    Example::

        class AttendeeListExporter(ListExporter):
            identifier = "attendees"
            verbose_name = _("Attendees")
            category = _("Orders")
            required_permission = "event.orders:read"

            def columns(self, options):
                return [Column("name", _("Name")), Column("email", _("Email"))]

            def total(self, options):
                return self.attendees().count()

            def rows(self, options):
                for ticket in self.attendees().iterator(chunk_size=2000):
                    yield [ticket.attendee_name, ticket.attendee_email]
    """

    def columns(self, options: dict[str, Any]) -> Sequence[Column]:
        raise NotImplementedError

    def rows(self, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        """One sequence of cell values per row; see :meth:`MultiSheetListExporter.sheet_rows`."""
        raise NotImplementedError

    def total(self, options: dict[str, Any]) -> int | None:
        return None

    def sheets(self, options: dict[str, Any]) -> Sequence[Sheet]:
        return [Sheet(self.identifier, self.verbose_name)]

    def sheet_columns(self, sheet: str, options: dict[str, Any]) -> Sequence[Column]:
        return self.columns(options)

    def sheet_rows(self, sheet: str, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        return self.rows(options)

    def sheet_total(self, sheet: str, options: dict[str, Any]) -> int | None:
        return self.total(options)
