"""Tickets and invoices open as valid PDFs with the right content; invoices follow the settings."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django_scopes import scope
from pypdf import PdfReader

from eventyay.base.storage import private_storage

from .backoffice import place_order

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_ticket_pdf_shows_attendee_product_event_and_order(catalogue):
    from eventyay_tickets.services.documents import ticket_pdf_for_position

    order = place_order(catalogue, name="Ada Lovelace")
    with scope(organizer=catalogue.event.organizer):
        catalogue.event.settings.set("tickets_venue", "Main Hall\nExample Street 1")
        position = order.positions.get()
        filename, data = ticket_pdf_for_position(position)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Ada Lovelace" in text
    assert "Ticket" in text
    assert "Conference shop" in text
    assert "Main Hall" in text
    assert order.code in text and order.code in filename


def test_ticket_pdf_is_stored_and_a_changed_name_renders_a_new_file(catalogue):
    from eventyay_tickets.services.documents import _ticket_path, ticket_pdf_for_position

    order = place_order(catalogue, name="Ada Lovelace")
    with scope(organizer=catalogue.event.organizer):
        position = order.positions.get()
        ticket_pdf_for_position(position)
        first_path = _ticket_path(position)
        assert private_storage.exists(first_path)
        position.attendee_name = "Grace Hopper"
        _name, data = ticket_pdf_for_position(position)
        assert _ticket_path(position) != first_path
    assert "Grace Hopper" in pdf_text(data)


def test_paying_an_order_issues_an_invoice_and_renders_tickets(catalogue, django_capture_on_commit_callbacks):
    from eventyay_tickets.models import Invoice
    from eventyay_tickets.services.documents import _ticket_path, invoice_pdf

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(catalogue, name="Ada Lovelace")
    with scope(organizer=catalogue.event.organizer):
        invoice = Invoice.objects.get(order=order)
        assert invoice.file  # rendered by the task after commit
        assert invoice.total == Decimal("100.00")
        assert private_storage.exists(_ticket_path(order.positions.get()))
        filename, data = invoice_pdf(invoice)
    text = pdf_text(data)
    assert invoice.full_number in text
    assert "Ada Lovelace" in text
    assert "buyer@example.org" in text
    assert filename.endswith(".pdf")


def test_pending_orders_get_no_invoice_unless_configured_on_placement(
    catalogue, django_capture_on_commit_callbacks
):
    from eventyay_tickets.models import Invoice

    with django_capture_on_commit_callbacks(execute=True):
        pending = place_order(catalogue, paid=False)
    with scope(organizer=catalogue.event.organizer):
        assert not Invoice.objects.filter(order=pending).exists()
        catalogue.event.settings.set("tickets_invoice_generate", "placed")
    catalogue.event.settings._values = None
    with django_capture_on_commit_callbacks(execute=True):
        placed = place_order(catalogue, paid=False)
    with scope(organizer=catalogue.event.organizer):
        assert Invoice.objects.filter(order=placed).count() == 1


def test_invoice_numbers_are_sequential_and_a_cancellation_takes_a_new_number(catalogue):
    from eventyay_tickets.services.invoices import invoice_cancel, invoice_create

    orders = [place_order(catalogue, name=f"Person {i}") for i in range(3)]
    with scope(organizer=catalogue.event.organizer):
        catalogue.event.settings.set("tickets_invoice_prefix", "INV-")
        for order in orders:
            order.event = catalogue.event
        invoices = [invoice_create(order=order) for order in orders]
        assert [i.full_number for i in invoices] == ["INV-00001", "INV-00002", "INV-00003"]
        cancellation = invoice_cancel(invoice=invoices[1])
        assert cancellation.full_number == "INV-00004"
        assert cancellation.refers == invoices[1]
        assert cancellation.total == Decimal("-100.00")
        again = invoice_create(order=orders[1])
        assert again.number == 5


def test_a_canceled_invoice_cannot_be_canceled_twice(catalogue):
    from eventyay_tickets.services import OrderError
    from eventyay_tickets.services.invoices import invoice_cancel, invoice_create

    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        order.event = catalogue.event
        invoice = invoice_create(order=order)
        cancellation = invoice_cancel(invoice=invoice)
        with pytest.raises(OrderError):
            invoice_cancel(invoice=invoice)
        with pytest.raises(OrderError):
            invoice_cancel(invoice=cancellation)


def test_organizer_numbering_continues_across_events(catalogue, make_event):
    from eventyay_tickets.models import Invoice, Product, Quota
    from eventyay_tickets.services import order_place
    from eventyay_tickets.services.invoices import invoice_create

    organizer = catalogue.event.organizer
    second = make_event(slug="second", plugins=["tickets"])
    with scope(organizer=organizer):
        organizer_settings = __import__("eventyay.base.settings", fromlist=["SettingsProxy"]).SettingsProxy(
            organizer=organizer
        )
        organizer_settings.update(
            {"tickets_invoice_numbering": "organizer", "tickets_invoice_prefix": "ORG-"}
        )
        product = Product.objects.create(event=second, name={"en": "Day pass"}, price=Decimal("10.00"))
        Quota.objects.create(event=second, name="All", size=10).products.set([product])
        other = order_place(
            event=second,
            email="x@example.org",
            positions=[{"product": product.pk}],
            payment_provider="banktransfer",
        )
    first = place_order(catalogue)
    with scope(organizer=organizer):
        first.event = catalogue.event
        first.event.settings._values = None
        other.event.settings._values = None
        numbers = [invoice_create(order=first).full_number, invoice_create(order=other).full_number]
        assert numbers == ["ORG-00001", "ORG-00002"]
        assert Invoice.objects.filter(event=second).get().number == 2


def test_canceling_an_order_issues_the_cancellation_invoice(catalogue, django_capture_on_commit_callbacks):
    from eventyay_tickets.models import Invoice
    from eventyay_tickets.services import order_cancel

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer), django_capture_on_commit_callbacks(execute=True):
        order.event = catalogue.event
        order_cancel(order=order, refund=False, send_email=False)
    with scope(organizer=catalogue.event.organizer):
        invoices = list(Invoice.objects.filter(order=order).order_by("number"))
    assert [i.is_cancellation for i in invoices] == [False, True]
    assert invoices[1].refers_id == invoices[0].pk


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_invoices_get_distinct_consecutive_numbers(catalogue):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from eventyay_tickets.services.invoices import invoice_create

    organizer = catalogue.event.organizer
    with scope(organizer=organizer):
        catalogue.event.settings.set("tickets_invoice_generate", "never")
    orders = [place_order(catalogue, name=f"Person {i}") for i in range(12)]

    def issue(order) -> int:
        try:
            with scope(organizer=organizer):
                order.event = catalogue.event
                return invoice_create(order=order).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(issue, orders))
    assert sorted(numbers) == list(range(1, 13))


def test_the_order_page_offers_ticket_and_invoice_downloads(
    client, catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(catalogue, name="Ada Lovelace")
    page = client.get(order.get_absolute_url()).content.decode()
    ticket_url = order.get_absolute_url() + "ticket/1/"
    assert ticket_url in page
    assert order.get_absolute_url() + "invoice/" in page
    response = client.get(ticket_url)
    assert response["Content-Type"] == "application/pdf"
    assert "Ada Lovelace" in pdf_text(b"".join(response.streaming_content))
    wrong_secret = ticket_url.replace(order.secret, "x" * len(order.secret))
    assert client.get(wrong_secret).status_code == 404


def test_unpaid_orders_offer_no_ticket(client, catalogue):
    order = place_order(catalogue, paid=False)
    assert "ticket/1/" not in client.get(order.get_absolute_url()).content.decode()
    assert client.get(order.get_absolute_url() + "ticket/1/").status_code == 404


def test_the_qr_code_runs_draw_exactly_the_modules_of_the_secret():
    import segno
    from eventyay_tickets.services.documents import qr_runs

    secret = "k2fq8xw3mz7bq4hnd5tp9ycr"
    width, runs = qr_runs(secret)
    drawn = [[False] * width for _ in range(width)]
    for row, start, length in runs:
        for column in range(start, start + length):
            assert not drawn[row][column], "runs overlap"
            drawn[row][column] = True
    expected = [[bool(module) for module in row] for row in segno.make(secret, error="m", micro=False).matrix]
    assert drawn == expected
    # Error correction M, as scanners at the entrance expect from our tickets.
    assert segno.make(secret, error="m", micro=False).error == "M"


def test_the_ticket_pdf_draws_one_rectangle_per_qr_run(catalogue):
    from eventyay_tickets.services.documents import qr_runs, ticket_pdf_render

    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        position = order.positions.get()
        pdf = ticket_pdf_render(position)
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    _width, runs = qr_runs(position.secret)
    assert content.count(" re") >= len(runs)
