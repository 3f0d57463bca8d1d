"""The exporter bases: formats, formula neutralisation, progress, PDF layout."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django import forms
from openpyxl import load_workbook
from pypdf import PdfReader

from eventyay.base.exporters import (
    Column,
    ListExporter,
    MultiSheetListExporter,
    PDFExporter,
    Progress,
    Sheet,
    input_parameters,
)

HOSTILE = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]
NAMES = ["Zoë Ångström", "Jürgen — the “quoted”", "Αλέξανδρος", "Дмитрий", "Łódź Øre Ñandú"]


class PeopleExporter(ListExporter):
    identifier = "people"
    verbose_name = "People"
    required_permission = "event.settings:read"

    def columns(self, options):
        return [
            Column("name", "Name"),
            Column("amount", "Amount"),
            Column("when", "When"),
            Column("ok", "OK"),
        ]

    def total(self, options):
        return len(NAMES + HOSTILE)

    def rows(self, options):
        moment = dt.datetime(2030, 6, 1, 7, 0, tzinfo=dt.UTC)
        for index, name in enumerate(NAMES + HOSTILE):
            yield [name, Decimal("-12.50") if index == 0 else index, moment, index % 2 == 0]


class TwoSheetsExporter(MultiSheetListExporter):
    identifier = "two"
    verbose_name = "Two"
    required_permission = "event.settings:read"

    def sheets(self, options):
        return [Sheet("first", "First"), Sheet("second", "Second: [odd] chars?")]

    def sheet_columns(self, sheet, options):
        return [Column("value", "Value")]

    def sheet_rows(self, sheet, options):
        yield [f"{sheet}-1"]
        yield [f"{sheet}-2"]


class ScheduleExporter(PDFExporter):
    identifier = "printable"
    verbose_name = "Printable list"
    required_permission = "event.settings:read"

    def story(self, options, progress):
        rows = [[name, f"row {n}"] for n in range(120) for name in NAMES[:1]] + [
            [name, "x"] for name in NAMES
        ]
        return [
            self.heading("Attendees – all of them"),
            self.table(["Name", "Note"], rows, widths=[0.6, 0.4]),
        ]


@pytest.fixture
def berlin_event(make_event):
    return make_event(slug="berlin", timezone="Europe/Berlin")


def render(exporter, **options):
    output = io.BytesIO()
    cleaned = exporter.clean_options(options)
    filename, content_type = exporter.render(cleaned, output, Progress())
    return filename, content_type, output.getvalue()


@pytest.mark.django_db
def test_csv_neutralises_formulas_and_keeps_every_name(berlin_event):
    filename, content_type, data = render(
        PeopleExporter(organizer=berlin_event.organizer, event=berlin_event), _format="csv"
    )
    assert filename == "example_berlin_people.csv"
    assert content_type.startswith("text/csv")
    assert not data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == ["Name", "Amount", "When", "OK"]
    names = [row[0] for row in rows[1:]]
    assert names[: len(NAMES)] == NAMES
    assert names[len(NAMES) :] == ["'" + value for value in HOSTILE]
    # Numbers stay numbers (a negative amount is no formula); times are the event's local time.
    assert rows[1][1] == "-12.50"
    assert rows[1][2] == "2030-06-01 09:00:00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "delimiter", "terminator"), [("csv-semicolon", ";", "\r\n"), ("csv-excel", ",", "\r\n")]
)
def test_csv_dialects_for_spreadsheets_carry_a_byte_order_mark(berlin_event, fmt, delimiter, terminator):
    _name, _type, data = render(
        PeopleExporter(organizer=berlin_event.organizer, event=berlin_event), _format=fmt
    )
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.split(terminator)[0] == delimiter.join(["Name", "Amount", "When", "OK"])
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[2][0] == NAMES[1]


@pytest.mark.django_db
def test_xlsx_keeps_types_and_never_holds_a_formula(berlin_event):
    filename, _type, data = render(
        PeopleExporter(organizer=berlin_event.organizer, event=berlin_event), _format="xlsx"
    )
    assert filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Amount", "When", "OK")
    assert [row[0] for row in rows[1 : len(NAMES) + 1]] == NAMES
    assert rows[1][1] == -12.5
    assert rows[1][2] == dt.datetime(2030, 6, 1, 9, 0)
    assert rows[1][3] is True
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type != "f"
    assert [row[0] for row in rows[len(NAMES) + 1 :]] == [
        "'" + value.replace("\r", "\n") for value in HOSTILE
    ]


@pytest.mark.django_db
def test_json_is_a_list_of_records_in_full(berlin_event):
    _name, content_type, data = render(
        PeopleExporter(organizer=berlin_event.organizer, event=berlin_event), _format="json"
    )
    assert content_type == "application/json"
    records = json.loads(data)
    assert records[0] == {
        "name": NAMES[0],
        "amount": "-12.50",
        "when": "2030-06-01T09:00:00+02:00",
        "ok": True,
    }
    assert records[len(NAMES)]["name"] == HOSTILE[0]


@pytest.mark.django_db
def test_multi_sheet_exports_hold_every_sheet_or_the_chosen_one(berlin_event):
    exporter = TwoSheetsExporter(organizer=berlin_event.organizer, event=berlin_event)
    _name, _type, data = render(exporter, _format="xlsx")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["First", "Second   odd  chars "]
    assert [row[0].value for row in workbook["First"].iter_rows()] == ["Value", "first-1", "first-2"]
    filename, _type, data = render(exporter, _format="csv", _sheet="second")
    assert filename == "example_berlin_two_second.csv"
    assert data.decode() == "Value\r\nsecond-1\r\nsecond-2\r\n"
    _name, _type, data = render(exporter, _format="json")
    assert json.loads(data) == {
        "first": [{"value": "first-1"}, {"value": "first-2"}],
        "second": [{"value": "second-1"}, {"value": "second-2"}],
    }


@pytest.mark.django_db
def test_options_are_validated_and_listed(berlin_event):
    exporter = TwoSheetsExporter(organizer=berlin_event.organizer, event=berlin_event)
    with pytest.raises(forms.ValidationError) as invalid:
        exporter.clean_options({"_format": "docx"})
    assert "_format" in invalid.value.message_dict
    parameters = {parameter["name"]: parameter for parameter in input_parameters(exporter)}
    assert parameters["_format"]["choices"] == ["xlsx", "csv", "csv-semicolon", "csv-excel", "json"]
    assert parameters["_format"]["default"] == "xlsx"
    assert parameters["_sheet"]["choices"] == ["first", "second"]


def test_progress_reports_at_most_once_per_interval_and_always_the_end():
    reported = []
    progress = Progress(reported.append, interval=3600)
    assert list(progress.iterate(range(1000), 1000)) == list(range(1000))
    assert reported == [10, 100]


@pytest.mark.django_db
def test_pdf_has_page_numbers_repeated_headers_and_every_script(berlin_event):
    filename, content_type, data = render(
        ScheduleExporter(organizer=berlin_event.organizer, event=berlin_event)
    )
    assert (filename, content_type) == ("example_berlin_printable.pdf", "application/pdf")
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Name" in text  # the header row is repeated on every page
    everything = "\n".join(pages)
    for name in NAMES:
        assert name in everything
    assert "Attendees – all of them" in everything


@pytest.mark.django_db
def test_options_chosen_from_models_are_stored_by_primary_key(berlin_event, make_event):
    from eventyay.base.models import Event

    other = make_event(slug="other")

    class ByEventExporter(PeopleExporter):
        def option_fields(self):
            return {
                "events": forms.ModelMultipleChoiceField(queryset=Event.objects.all(), required=False),
                "since": forms.DateField(required=False),
                "fee": forms.DecimalField(required=False),
            }

    exporter = ByEventExporter(organizer=berlin_event.organizer, event=berlin_event)
    from django_scopes import scope

    with scope(organizer=berlin_event.organizer):
        cleaned = exporter.clean_options(
            {"events": [berlin_event.pk, other.pk], "since": "2030-01-31", "fee": "1.50"}
        )
    assert json.loads(json.dumps(cleaned)) == {
        "events": sorted([berlin_event.pk, other.pk]),
        "since": "2030-01-31",
        "fee": "1.50",
    }
