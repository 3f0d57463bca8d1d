"""The tickets API answers what its OpenAPI document promises."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope

from eventyay.testing.openapi import assert_answer_documented

from .backoffice import make_checkin_list, place_order

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizers/example/events/shop/"
PATHS = "/api/v1/organizers/{organizer}/events/{event}/"


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    return client.get("/api/v1/schema/?format=json").json()


def test_invoices_without_a_cancelled_invoice_and_their_pdf_match_the_schema(api_client, catalogue, document):
    from eventyay_tickets.services.invoices import invoice_create

    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        order.event = catalogue.event
        invoice = invoice_create(order=order)
    listed = api_client.get(BASE + "invoices/")
    assert [row["refers"] for row in listed.json()["results"]] == [None]
    assert_answer_documented(document, listed, path=PATHS + "invoices/", method="get")
    detail = api_client.get(BASE + f"invoices/{invoice.pk}/")
    assert_answer_documented(document, detail, path=PATHS + "invoices/{id}/", method="get")
    download = api_client.get(BASE + f"invoices/{invoice.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    assert_answer_documented(document, download, path=PATHS + "invoices/{id}/download/", method="get")


def test_quota_availability_matches_the_schema(api_client, catalogue, document):
    place_order(catalogue)
    response = api_client.get(BASE + f"quotas/{catalogue.quota.pk}/availability/")
    assert response.json() == {
        "size": 20,
        "used": 1,
        "available_number": 19,
        "available": True,
        "closed": False,
    }
    assert_answer_documented(document, response, path=PATHS + "quotas/{id}/availability/", method="get")


def test_positions_of_a_checkin_list_match_the_schema(api_client, catalogue, document):
    checkin_list = make_checkin_list(catalogue)
    place_order(catalogue, name="Ada Lovelace")
    response = api_client.get(BASE + f"checkinlists/{checkin_list.pk}/positions/")
    assert [row["attendee_name"] for row in response.json()["results"]] == ["Ada Lovelace"]
    assert_answer_documented(document, response, path=PATHS + "checkinlists/{id}/positions/", method="get")


def test_resending_the_order_link_is_a_documented_204(api_client, catalogue, document):
    order = place_order(catalogue)
    response = api_client.post(BASE + f"orders/{order.code}/resend_link/")
    assert response.status_code == 204
    assert_answer_documented(document, response, path=PATHS + "orders/{code}/resend_link/", method="post")


@pytest.mark.parametrize("text", ['{"": {"x": null}}', "123", "true", '"quoted"'])
def test_a_category_text_that_parses_as_json_stays_a_text(api_client, tevent, document, text):
    created = api_client.post(BASE + "categories/", {"name": "Merch", "description": text}, format="json")
    assert created.status_code == 201, created.content
    listed = api_client.get(BASE + "categories/")
    (row,) = listed.json()["results"]
    assert row["description"] == {"en": text}
    assert_answer_documented(document, listed, path=PATHS + "categories/", method="get")
