"""Bank transfer: statement matching and its upload page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope
from eventyay_tickets.services import bank_statement_match, order_place

from .conftest import ticket_position

pytestmark = pytest.mark.django_db


def _orders(catalogue, n):
    with scope(organizer=catalogue.event.organizer):
        return [
            order_place(
                event=catalogue.event,
                email="a@example.org",
                positions=[ticket_position(catalogue)],
                payment_provider="banktransfer",
                send_email=False,
            )
            for _i in range(n)
        ]


def test_statement_lines_are_matched_by_reference_and_amount(catalogue):
    first, second, third = _orders(catalogue, 3)
    csv_text = (
        "date;purpose;amount\n"
        f"2030-01-02;Ticket {first.full_code};100,00\n"
        f"2030-01-02;{second.full_code.lower()} thanks;90.00\n"
        "2030-01-03;rent;-500.00\n"
        f"2030-01-03;SHOP-{third.code};100.00\n"
    )
    with scope(organizer=catalogue.event.organizer):
        result = bank_statement_match(event=catalogue.event, csv_text=csv_text)
        first.refresh_from_db()
        second.refresh_from_db()
        third.refresh_from_db()
        paid_amount = first.payments.get(state="confirmed").amount
    assert [line["order"] for line in result.matched] == [first.code, third.code]
    assert first.status == "paid" and third.status == "paid" and second.status == "pending"
    reasons = {line["line"]: line["reason"] for line in result.unmatched}
    assert "amount" in reasons[3] and "reference" in reasons[4]
    assert paid_amount == Decimal("100.00")


def test_a_statement_without_amount_column_is_a_form_error(catalogue, client_for, user):
    client = client_for(user)
    upload = SimpleUploadedFile("s.csv", b"date,text\n2030-01-01,hello\n", content_type="text/csv")
    response = client.post("/control/event/example/shop/tickets/bank-statement/", {"file": upload})
    assert response.status_code == 200
    assert "amount" in response.content.decode()


def test_upload_page_marks_orders_paid_and_lists_unmatched_lines(catalogue, client_for, user):
    (order,) = _orders(catalogue, 1)
    body = f"purpose,amount\n{order.full_code},100.00\nunknown,3.00\n".encode()
    client = client_for(user)
    response = client.post(
        "/control/event/example/shop/tickets/bank-statement/",
        {"file": SimpleUploadedFile("s.csv", body, content_type="text/csv")},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 order marked as paid" in html and "tickets-unmatched" in html
    order.refresh_from_db()
    assert order.status == "paid"


def test_upload_page_needs_the_orders_permission(catalogue, client_for, other_organizer):
    client = client_for(other_organizer.member)
    response = client.get("/control/event/example/shop/tickets/bank-statement/")
    assert response.status_code in (403, 404)
