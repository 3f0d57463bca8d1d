"""The tickets exporters, each read back with an independent reader (csv, openpyxl, pypdf, json)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled
from eventyay_tickets.exporters import (
    AttendeeListExporter,
    AttendeePDFExporter,
    CheckinListPDFExporter,
    InvoiceDataExporter,
    OrdersExporter,
    TicketDataExporter,
    VoucherExporter,
)
from eventyay_tickets.models import (
    Checkin,
    CheckinList,
    Invoice,
    Order,
    OrderPayment,
    OrderPosition,
    OrderRefund,
    QuestionAnswer,
)
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from eventyay.base.exporters import Progress
from eventyay.base.services.teams import team_save, token_create

pytestmark = pytest.mark.django_db

ZOE = "Zoë Ångström"
DMITRY = "Дмитрий"
HOSTILE = '=HYPERLINK("http://x")'
PLACED = dt.datetime(2030, 3, 1, 12, 0, tzinfo=dt.UTC)


def make_order(
    catalogue: Any, code: str, *, status: str = Order.Status.PAID, names=(ZOE,), **extra: Any
) -> Order:
    """An order with one ticket per name (answered "ACME"), paid by bank transfer when paid."""
    order = Order.objects.create(
        event=catalogue.event,
        code=code,
        status=status,
        email=f"{code.lower()}@example.org",
        total=Decimal("100.00") * len(names),
        payment_provider="banktransfer",
        datetime=extra.pop("datetime", PLACED),
        expires=PLACED + dt.timedelta(days=14),
        **extra,
    )
    for number, name in enumerate(names, 1):
        position = OrderPosition.objects.create(
            order=order,
            positionid=number,
            product=catalogue.ticket,
            price=Decimal("100.00"),
            tax_rate=Decimal("19.00"),
            tax_value=Decimal("15.97"),
            attendee_name=name,
            attendee_email=f"attendee{number}@example.org",
        )
        QuestionAnswer.objects.create(position=position, question=catalogue.question, answer="ACME")
    if status == Order.Status.PAID:
        OrderPayment.objects.create(
            order=order,
            provider="banktransfer",
            amount=order.total,
            state=OrderPayment.State.CONFIRMED,
            payment_date=PLACED + dt.timedelta(days=2),
        )
    return order


def invoice_for(order: Order, number: int) -> Invoice:
    return Invoice.objects.create(
        event=order.event,
        order=order,
        prefix="INV-",
        number=number,
        full_number=f"INV-{number}",
        date=dt.date(2030, 3, 3),
        invoice_to=HOSTILE,
        lines=[
            {"description": "Ticket", "gross": "100.00", "net": "84.03", "tax": "15.97", "tax_rate": "19.00"},
            {"description": "Shirt – L", "gross": "25.00", "net": "23.36", "tax": "1.64", "tax_rate": "7.00"},
            {"description": "Fee", "gross": "5.00", "net": "4.20", "tax": "0.80", "tax_rate": "19.00"},
        ],
        total=Decimal("130.00"),
        tax_total=Decimal("18.41"),
    )


@pytest.fixture
def shop(catalogue: Any) -> Any:
    """Paid (Zoë with a shirt for Dmitry; checked in; invoiced), pending (hostile) and canceled orders."""
    with scope(organizer=catalogue.event.organizer):
        paid = make_order(catalogue, "PAID1")
        OrderPosition.objects.create(
            order=paid,
            positionid=2,
            product=catalogue.shirt,
            variation=catalogue.large,
            price=Decimal("25.00"),
            attendee_name=DMITRY,
        )
        OrderRefund.objects.create(
            order=paid, provider="banktransfer", amount=Decimal("10.00"), state=OrderRefund.State.DONE
        )
        invoice_for(paid, 1)
        make_order(catalogue, "PEND1", status=Order.Status.PENDING, names=[HOSTILE])
        make_order(
            catalogue,
            "CANC1",
            status=Order.Status.CANCELED,
            names=["Carl Canceled"],
            datetime=PLACED - dt.timedelta(days=30),
        )
        entrance = CheckinList.objects.create(
            event=catalogue.event, name="Main entrance", include_pending=True
        )
        Checkin.objects.create(checkin_list=entrance, position=paid.positions.get(positionid=1))
    catalogue.entrance = entrance
    return catalogue


def render(exporter_class: type, event: Any, **options: Any) -> tuple[str, bytes]:
    with scope(organizer=event.organizer):
        exporter = exporter_class(organizer=event.organizer, event=event)
        output = io.BytesIO()
        filename, _type = exporter.render(exporter.clean_options(options), output, Progress())
    return filename, output.getvalue()


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def records(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- orders ---------------------------------------------------------------------------------------


def test_orders_workbook_has_one_row_per_order_and_per_position(shop):
    filename, data = render(OrdersExporter, shop.event, _format="xlsx")
    assert filename == "example_shop_orders.xlsx"
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Orders", "Positions"]
    orders = list(workbook["Orders"].iter_rows(values_only=True))
    by_code = {row[0]: dict(zip(orders[0], row, strict=True)) for row in orders[1:]}
    assert list(by_code) == ["CANC1", "PAID1", "PEND1"]
    paid = by_code["PAID1"]
    assert paid["Status"] == "paid"
    assert paid["Name"] == ZOE
    assert paid["Amount paid"] == 100
    assert paid["Amount refunded"] == 10
    assert paid["Payment date"] == dt.datetime(2030, 3, 3, 12, 0)
    assert paid["Payment methods"] == "banktransfer"
    assert paid["Positions"] == 2
    assert paid["Invoice numbers"] == "INV-1"
    assert by_code["PEND1"]["Name"] == "'" + HOSTILE
    positions = list(workbook["Positions"].iter_rows(values_only=True))
    assert positions[0][-1] == "Company"
    assert [(row[0], row[1], row[5], row[9]) for row in positions[1:]] == [
        ("CANC1", 1, "Ticket", "Carl Canceled"),
        ("PAID1", 1, "Ticket", ZOE),
        ("PAID1", 2, "Shirt – L", DMITRY),
        ("PEND1", 1, "Ticket", "'" + HOSTILE),
    ]
    assert [row[-1] for row in positions[1:]] == ["ACME", "ACME", None, "ACME"]
    for row in workbook["Positions"].iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)


def test_orders_filters_by_status_date_and_product_in_csv(shop):
    filename, data = render(
        OrdersExporter, shop.event, _format="csv", _sheet="positions", status=["paid", "pending"]
    )
    assert filename == "example_shop_orders_positions.csv"
    rows = records(csv_rows(data))
    assert [row["Attendee name"] for row in rows] == [ZOE, DMITRY, "'" + HOSTILE]
    _name, data = render(OrdersExporter, shop.event, _format="csv", date_to="2030-02-28")
    assert [row["Order code"] for row in records(csv_rows(data))] == ["CANC1"]
    _name, data = render(OrdersExporter, shop.event, _format="csv", products=[shop.shirt.pk])
    assert [row["Order code"] for row in records(csv_rows(data))] == ["PAID1"]


def test_orders_options_are_validated_by_field(shop):
    from django.core.exceptions import ValidationError

    with scope(organizer=shop.event.organizer):
        exporter = OrdersExporter(organizer=shop.event.organizer, event=shop.event)
        with pytest.raises(ValidationError) as invalid:
            exporter.clean_options({"status": ["lost"]})
        assert "status" in invalid.value.message_dict
        with pytest.raises(ValidationError) as invalid:
            exporter.clean_options({"date_from": "2030-03-02", "date_to": "2030-03-01"})
        assert "date_to" in invalid.value.message_dict


# --- attendees and check-in -----------------------------------------------------------------------


def test_attendee_list_is_sorted_by_name_and_leaves_out_canceled_orders(shop):
    _name, data = render(AttendeeListExporter, shop.event, _format="csv")
    rows = records(csv_rows(data))
    assert [row["Attendee name"] for row in rows] == ["'" + HOSTILE, ZOE, DMITRY]
    zoe = rows[1]
    assert (zoe["Product"], zoe["Order code"], zoe["Checked in"], zoe["Company"]) == (
        "Ticket",
        "PAID1",
        "yes",
        "ACME",
    )
    assert rows[2]["Product"] == "Shirt – L"
    _name, data = render(AttendeeListExporter, shop.event, _format="xlsx", status=["canceled"])
    sheet = load_workbook(io.BytesIO(data)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Carl Canceled"]


def test_attendee_list_in_xlsx_neutralises_formulas(shop):
    _name, data = render(AttendeeListExporter, shop.event, _format="xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ["'" + HOSTILE, ZOE, DMITRY]
    assert all(cell.data_type != "f" for cell in cells)


def test_attendee_pdf_prints_every_script_sorted_by_name(shop):
    filename, data = render(AttendeePDFExporter, shop.event)
    assert filename == "example_shop_attendees_pdf.pdf"
    text = pdf_text(data)
    assert "Carl Canceled" not in text
    assert text.index(ZOE) < text.index(DMITRY)
    assert HOSTILE in text
    assert "PAID1" in text


def test_checkin_list_pdf_ticks_who_entered_on_the_chosen_list(shop):
    _name, data = render(CheckinListPDFExporter, shop.event, checkin_list=shop.entrance.pk)
    text = pdf_text(data)
    assert "Check-in list: Main entrance" in text
    # Cells come out one per line, the box first.
    lines = text.splitlines()
    assert lines[lines.index(ZOE) - 1] == "☑"
    assert lines[lines.index(HOSTILE) - 1] == "☐"  # the list admits pending orders
    assert lines[lines.index(DMITRY) - 1] == "☐"
    assert DMITRY in text
    assert "Carl Canceled" not in text
    # Without a list: admission products of paid orders only; with a product filter: only those.
    text = pdf_text(render(CheckinListPDFExporter, shop.event)[1])
    assert ZOE in text and DMITRY not in text and HOSTILE not in text
    text = pdf_text(
        render(CheckinListPDFExporter, shop.event, checkin_list=shop.entrance.pk, products=[shop.shirt.pk])[1]
    )
    assert DMITRY in text and ZOE not in text


# --- accounting, vouchers, JSON -------------------------------------------------------------------


def test_invoice_data_has_totals_tax_per_rate_and_lines(shop):
    _name, data = render(InvoiceDataExporter, shop.event, _format="xlsx")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Invoices", "Tax rates", "Lines"]
    invoices = list(workbook["Invoices"].iter_rows(min_row=2, values_only=True))
    assert invoices == [
        ("INV-1", dt.datetime(2030, 3, 3), "PAID1", False, None, "'" + HOSTILE, 111.59, 18.41, 130, "EUR")
    ]
    taxes = list(workbook["Tax rates"].iter_rows(min_row=2, values_only=True))
    assert [row[3:] for row in taxes] == [(7, 23.36, 1.64, 25, "EUR"), (19, 88.23, 16.77, 105, "EUR")]
    lines = list(workbook["Lines"].iter_rows(min_row=2, values_only=True))
    assert [(row[3], row[4], row[8]) for row in lines] == [
        (1, "Ticket", 100),
        (2, "Shirt – L", 25),
        (3, "Fee", 5),
    ]
    _name, data = render(InvoiceDataExporter, shop.event, _format="csv", _sheet="taxes")
    assert records(csv_rows(data))[1]["Net"] == "88.23"
    _name, data = render(InvoiceDataExporter, shop.event, _format="csv", date_from="2030-03-04")
    assert csv_rows(data)[1:] == []


def test_vouchers_list_every_code(shop):
    with scope(organizer=shop.event.organizer):
        shop.voucher.comment = HOSTILE
        shop.voucher.save()
    _name, data = render(VoucherExporter, shop.event, _format="csv")
    rows = records(csv_rows(data))
    assert [(row["Code"], row["Product"], row["Price change"], row["Value"]) for row in rows] == [
        ("HALF", "Ticket", "Reduce price by percent", "50.00")
    ]
    assert rows[0]["Comment"] == "'" + HOSTILE


def test_json_dump_holds_catalogue_and_every_order(shop):
    filename, data = render(TicketDataExporter, shop.event)
    assert filename == "example_shop_tickets_json.json"
    dump = json.loads(data)
    assert dump["event"]["slug"] == "shop"
    assert {product["name"]["en"] for product in dump["products"]} == {"Ticket", "Secret", "Shirt"}
    shirt = next(product for product in dump["products"] if product["name"]["en"] == "Shirt")
    assert [variation["value"]["en"] for variation in shirt["variations"]] == ["S", "L"]
    assert {quota["name"] for quota in dump["quotas"]} == {"Tickets", "Shirts"}
    assert dump["questions"][0]["products"] == [shop.ticket.pk]
    assert dump["checkin_lists"][0]["name"] == "Main entrance"
    assert [order["code"] for order in dump["orders"]] == ["CANC1", "PAID1", "PEND1"]
    paid = dump["orders"][1]
    assert [p["attendee_name"] for p in paid["positions"]] == [ZOE, DMITRY]
    assert paid["positions"][0]["answers"] == [
        {"question": shop.question.pk, "answer": "ACME", "options": []}
    ]
    assert paid["positions"][0]["checkins"][0]["list"] == shop.entrance.pk
    assert paid["payments"][0]["amount"] == "100.00"
    assert paid["refunds"][0]["state"] == "done"
    assert paid["invoices"][0]["full_number"] == "INV-1"
    assert paid["invoices"][0]["lines"][1]["tax_rate"] == "7.00"
    assert dump["orders"][2]["positions"][0]["attendee_name"] == HOSTILE


# --- queries ---------------------------------------------------------------------------------------

RUNS = [
    (OrdersExporter, {"_format": "xlsx"}),
    (OrdersExporter, {"_format": "csv", "_sheet": "positions"}),
    (AttendeeListExporter, {"_format": "csv"}),
    (AttendeePDFExporter, {}),
    (CheckinListPDFExporter, {}),
    (InvoiceDataExporter, {"_format": "xlsx"}),
    (VoucherExporter, {"_format": "csv"}),
    (TicketDataExporter, {}),
]


def count_queries(exporter_class: type, event: Any, options: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        render(exporter_class, event, **options)
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("exporter_class", "options"), RUNS, ids=lambda value: getattr(value, "identifier", "")
)
def test_queries_do_not_grow_with_the_number_of_orders(
    shop, exporter_class, options, django_assert_max_num_queries
):
    few = count_queries(exporter_class, shop.event, options)
    with scope(organizer=shop.event.organizer):
        for number in range(12):
            order = make_order(shop, f"MORE{number}", names=[f"Guest {number}", f"Guest {number}b"])
            invoice_for(order, 100 + number)
            Checkin.objects.create(checkin_list=shop.entrance, position=order.positions.first())
            shop.voucher.pk = None
            shop.voucher.code = f"MORE{number}"
            shop.voucher.save()
    with django_assert_max_num_queries(few):
        render(exporter_class, shop.event, **options)


# --- organizer level and the API ------------------------------------------------------------------


@pytest.fixture
def second_shop(make_event: Any, shop: Any) -> Any:
    """A second event with the plugin on and one order, and a third one without the plugin."""
    from types import SimpleNamespace

    from eventyay_tickets.models import Product, Question

    event = make_event(slug="second", plugins=["tickets"])
    make_event(slug="plain")
    with scope(organizer=event.organizer):
        ticket = Product.objects.create(event=event, name={"en": "Day pass"}, price=Decimal("100.00"))
        question = Question.objects.create(event=event, question={"en": "Diet"})
        make_order(SimpleNamespace(event=event, ticket=ticket, question=question), "SECO1", names=[DMITRY])
    return event


def client_for_team(organizer: Any, *, permissions: list[str], events: list[Any] | None = None) -> APIClient:
    with scope(organizer=organizer):
        team = team_save(
            organizer=organizer,
            name="Exporters",
            permissions=permissions,
            all_events=events is None,
            limit_events=events or [],
        )
        _token, secret = token_create(team=team, name="exports")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


@pytest.fixture
def start(django_capture_on_commit_callbacks: Any) -> Any:
    """POST a run; the job is queued after commit, which the test's transaction never does alone."""

    def run(client: APIClient, path: str, data: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, format="json")

    return run


EVENT_API = "/api/v1/organizers/example/events/shop/exporters/"
ORGANIZER_API = "/api/v1/organizers/example/exporters/"


def test_the_api_runs_the_orders_export_and_serves_the_file(api_client, shop, start):
    listed = {item["identifier"]: item for item in api_client.get(EVENT_API).json()["results"]}
    assert {
        "orders",
        "attendees",
        "attendees_pdf",
        "checkin_list_pdf",
        "invoice_data",
        "vouchers",
        "tickets_json",
    } <= set(listed)
    assert listed["invoice_data"]["category"] == "Accounting"
    parameters = {parameter["name"]: parameter for parameter in listed["orders"]["input_parameters"]}
    assert parameters["status"]["choices"] == ["pending", "paid", "expired", "canceled"]
    checkin = {parameter["name"]: parameter for parameter in listed["checkin_list_pdf"]["input_parameters"]}
    assert checkin["checkin_list"]["choices"] == [str(shop.entrance.pk)]
    assert api_client.post(EVENT_API + "orders/run/", {"status": ["lost"]}, format="json").status_code == 400
    answer = start(api_client, EVENT_API + "orders/run/", {"_format": "csv", "_sheet": "positions"})
    assert answer.status_code == 202, answer.content
    result = api_client.get(answer.json()["download"])
    assert result.status_code == 200
    rows = records(csv_rows(b"".join(result.streaming_content)))
    assert [row["Attendee name"] for row in rows] == ["Carl Canceled", ZOE, DMITRY, "'" + HOSTILE]


def test_without_the_orders_permission_no_tickets_export_is_listed_or_run(shop, start):
    client = client_for_team(shop.event.organizer, permissions=["event.checkin:write"])
    listed = [item["identifier"] for item in client.get(EVENT_API).json()["results"]]
    assert "orders" not in listed and "vouchers" not in listed
    assert start(client, EVENT_API + "orders/run/", {}).status_code == 404
    assert "orders" not in [item["identifier"] for item in client.get(ORGANIZER_API).json()["results"]]


def test_another_organizers_token_gets_404(shop, other_organizer, start):
    with scopes_disabled():
        their_team = other_organizer.teams.first()
    with scope(organizer=other_organizer):
        _token, secret = token_create(team=their_team, name="outsider")
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert outsider.get(EVENT_API).status_code == 404
    assert start(outsider, EVENT_API + "orders/run/", {}).status_code == 404
    assert outsider.get(ORGANIZER_API).status_code == 404


def test_organizer_exports_cover_the_permitted_events_with_the_plugin(api_client, second_shop, start):
    listed = [item["identifier"] for item in api_client.get(ORGANIZER_API).json()["results"]]
    assert {"orders", "attendees"} <= set(listed)
    answer = start(api_client, ORGANIZER_API + "attendees/run/", {"_format": "csv"})
    result = api_client.get(answer.json()["download"])
    rows = records(csv_rows(b"".join(result.streaming_content)))
    assert [(row["Event"], row["Attendee name"]) for row in rows] == [
        ("shop", "'" + HOSTILE),
        ("shop", ZOE),
        ("shop", DMITRY),
        ("second", DMITRY),
    ]
    # A team that may read the orders of the second event only exports those.
    limited = client_for_team(second_shop.organizer, permissions=["event.orders:read"], events=[second_shop])
    answer = start(limited, ORGANIZER_API + "orders/run/", {"_format": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(limited.get(answer.json()["download"]).streaming_content)))
    orders = list(workbook["Orders"].iter_rows(values_only=True))
    assert orders[0][:2] == ("Event", "Order code")
    assert [row[:2] for row in orders[1:]] == [("second", "SECO1")]
