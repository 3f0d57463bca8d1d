"""The REST API: catalogue, orders with the shop's rules, transitions, tenancy and query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import Order, Voucher

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizers/example/events/shop"


def order_body(catalogue, **extra):
    return {
        "email": "buyer@example.org",
        "locale": "en",
        "payment_provider": "banktransfer",
        "positions": [
            {
                "product": catalogue.ticket.pk,
                "attendee_name": "Ada",
                "answers": [{"question": catalogue.question.pk, "answer": "ACME"}],
            }
        ],
        "send_email": False,
        **extra,
    }


def test_products_list_includes_variations(api_client, catalogue):
    response = api_client.get(f"{BASE}/products/")
    assert response.status_code == 200
    shirt = next(p for p in response.json()["results"] if p["id"] == catalogue.shirt.pk)
    assert [v["value"]["en"] for v in shirt["variations"]] == ["S", "L"]


def test_product_list_query_count_is_constant(api_client, catalogue, django_assert_max_num_queries):
    with scope(organizer=catalogue.event.organizer):
        from eventyay_tickets.models import Product

        for i in range(15):
            Product.objects.create(event=catalogue.event, name={"en": f"Extra {i}"}, price=1)
    with django_assert_max_num_queries(12):
        assert api_client.get(f"{BASE}/products/").status_code == 200


def test_create_product_and_quota_with_availability(api_client, catalogue):
    response = api_client.post(
        f"{BASE}/products/", {"name": {"en": "Workshop"}, "price": "30.00"}, format="json"
    )
    assert response.status_code == 201, response.json()
    product = response.json()["id"]
    response = api_client.post(
        f"{BASE}/quotas/", {"name": "Workshop", "size": 3, "products": [product]}, format="json"
    )
    assert response.status_code == 201
    quota = response.json()["id"]
    availability = api_client.get(f"{BASE}/quotas/{quota}/availability/").json()
    assert availability["available_number"] == 3 and availability["available"] is True


def test_create_order_with_the_documented_body(api_client, catalogue):
    response = api_client.post(f"{BASE}/orders/", order_body(catalogue), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "pending" and data["total"] == "100.00"
    assert data["positions"][0]["attendee_name"] == "Ada"
    assert data["positions"][0]["answers"][0]["answer"] == "ACME"
    availability = api_client.get(f"{BASE}/quotas/{catalogue.quota.pk}/availability/").json()
    assert availability["available_number"] == 19


def test_order_errors_are_given_per_position_and_nothing_is_created(api_client, catalogue):
    body = order_body(catalogue)
    body["positions"].append({"product": catalogue.secret.pk})
    response = api_client.post(f"{BASE}/orders/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["positions"]
    assert errors[0] == {} and "voucher" in errors[1]["product"][0]
    with scopes_disabled():
        assert not Order.objects.exists()


def test_simulated_order_writes_nothing(api_client, catalogue):
    response = api_client.post(f"{BASE}/orders/", order_body(catalogue, simulate=True), format="json")
    assert response.status_code == 200
    assert response.json()["total"] == "100.00"
    with scopes_disabled():
        assert not Order.objects.exists()


def test_sold_out_quota_is_a_400_on_the_position(api_client, catalogue):
    with scopes_disabled():
        catalogue.quota.size = 0
        catalogue.quota.save()
    response = api_client.post(f"{BASE}/orders/", order_body(catalogue), format="json")
    assert response.status_code == 400
    assert "sold out" in response.json()["positions"][0]["product"][0]


def test_order_transitions(api_client, catalogue):
    code = api_client.post(f"{BASE}/orders/", order_body(catalogue), format="json").json()["code"]
    response = api_client.post(
        f"{BASE}/orders/{code}/extend/", {"expires": "2099-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 200 and response.json()["expires"].startswith("2099")
    response = api_client.post(f"{BASE}/orders/{code}/mark_paid/", {"send_email": False}, format="json")
    assert response.json()["status"] == "paid"
    assert api_client.post(f"{BASE}/orders/{code}/mark_paid/", {}, format="json").status_code == 400
    response = api_client.post(
        f"{BASE}/orders/{code}/mark_canceled/",
        {"cancellation_fee": "5.00", "send_email": False},
        format="json",
    )
    assert response.json()["status"] == "canceled"
    assert response.json()["refunds"][0]["amount"] == "95.00"
    assert api_client.post(f"{BASE}/orders/{code}/resend_link/").status_code == 204


def test_approve_and_deny(api_client, catalogue):
    with scopes_disabled():
        catalogue.ticket.require_approval = True
        catalogue.ticket.save()
    first = api_client.post(f"{BASE}/orders/", order_body(catalogue), format="json").json()
    assert first["require_approval"] is True
    assert (
        api_client.post(f"{BASE}/orders/{first['code']}/approve/", {}, format="json").json()[
            "require_approval"
        ]
        is False
    )
    second = api_client.post(f"{BASE}/orders/", order_body(catalogue), format="json").json()
    assert (
        api_client.post(f"{BASE}/orders/{second['code']}/deny/", {}, format="json").json()["status"]
        == "canceled"
    )


def test_order_list_filters_and_constant_queries(api_client, catalogue, django_assert_max_num_queries):
    for i in range(6):
        api_client.post(f"{BASE}/orders/", order_body(catalogue, email=f"b{i}@example.org"), format="json")
    with django_assert_max_num_queries(14):
        response = api_client.get(f"{BASE}/orders/")
    assert response.json()["count"] == 6
    assert api_client.get(f"{BASE}/orders/", {"email": "b3@example.org"}).json()["count"] == 1
    assert api_client.get(f"{BASE}/orders/", {"status": "paid"}).json()["count"] == 0
    assert api_client.get(f"{BASE}/orders/", {"product": catalogue.ticket.pk}).json()["count"] == 6
    assert api_client.get(f"{BASE}/orders/", {"modified_since": "2000-01-01T00:00:00Z"}).json()["count"] == 6
    assert api_client.get(f"{BASE}/orders/", {"modified_since": "yesterday"}).status_code == 400
    assert api_client.get(f"{BASE}/orderpositions/").json()["count"] == 6


def test_voucher_batch_create_is_all_or_nothing(api_client, catalogue):
    response = api_client.post(
        f"{BASE}/vouchers/batch_create/", [{"code": "A1"}, {"code": "A2", "max_usages": 3}], format="json"
    )
    assert response.status_code == 201
    response = api_client.post(
        f"{BASE}/vouchers/batch_create/", [{"code": "B1"}, {"code": "A1"}], format="json"
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not Voucher.objects.filter(code="B1").exists()


def test_question_with_options(catalogue, admin_team, api_token):
    # The talk plugin also mounts ``questions/`` under the event and comes first in URL order, so
    # this exercises the tickets view itself, with the request the tenant middleware would build.
    from eventyay_tickets.api.views import QuestionViewSet
    from rest_framework.test import APIRequestFactory

    body = {
        "question": {"en": "Diet"},
        "type": "choice",
        "products": [catalogue.shirt.pk],
        "options": [{"identifier": "veg", "answer": {"en": "Vegetarian"}}, {"answer": "Vegan"}],
    }
    request = APIRequestFactory().post(
        f"{BASE}/questions/", body, format="json", HTTP_AUTHORIZATION=f"Token {api_token}"
    )
    request.organizer = catalogue.event.organizer
    request.event = catalogue.event
    with scope(organizer=catalogue.event.organizer):
        response = QuestionViewSet.as_view({"post": "create"})(request, organizer="example", event="shop")
    assert response.status_code == 201, response.data
    assert [o["identifier"] for o in response.data["options"]] == ["veg", "vegan"]


def test_token_of_another_organizer_gets_404(catalogue, other_organizer):
    from rest_framework.test import APIClient

    from eventyay.base.services.teams import token_create

    with scopes_disabled():
        team = other_organizer.teams.get()
    with scope(organizer=other_organizer):
        _token, secret = token_create(team=team, name="outsider")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(f"{BASE}/orders/").status_code == 404
    assert client.post(f"{BASE}/orders/", order_body(catalogue), format="json").status_code == 404


def test_plugin_off_means_404(api_client, make_event):
    make_event(slug="plain")
    assert api_client.get("/api/v1/organizers/example/events/plain/products/").status_code == 404


def test_product_with_orders_cannot_be_deleted(api_client, catalogue):
    api_client.post(f"{BASE}/orders/", order_body(catalogue), format="json")
    response = api_client.delete(f"{BASE}/products/{catalogue.ticket.pk}/")
    assert response.status_code == 400


def test_explicit_price_from_the_api(api_client, catalogue):
    body = order_body(catalogue)
    body["positions"][0]["price"] = "12.50"
    assert api_client.post(f"{BASE}/orders/", body, format="json").json()["total"] == str(Decimal("12.50"))
