"""Placing an order stays cheap: the catalogue is memoised per stamp, and every change shows at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import Order, Product, Question, Quota

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizers/example/events/shop"
CATALOGUE_COLUMNS = (
    '"eventyay_tickets_product"."id"',
    '"eventyay_tickets_productvariation"."id"',
    '"eventyay_tickets_question"."id"',
    '"eventyay_tickets_questionoption"."id"',
    '"eventyay_tickets_quota_products"."product_id"',
    '"eventyay_base_setting"."id"',
    '"eventyay_base_eventplugin"."settings"',
)


def order_body(catalogue, **extra):
    return {
        "email": "buyer@example.org",
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


def place(api_client, catalogue, **extra):
    return api_client.post(f"{BASE}/orders/", order_body(catalogue, **extra), format="json")


def test_a_repeated_order_reads_no_catalogue_table_and_needs_few_queries(api_client, catalogue):
    assert place(api_client, catalogue).status_code == 201
    with CaptureQueriesContext(connection) as captured:
        assert place(api_client, catalogue).status_code == 201
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip("(").startswith("SELECT")]
    for column in CATALOGUE_COLUMNS:
        assert not any(column in sql for sql in selects), column
    # Event, enabled plugins, token; order, position, payment, log entry, webhooks; quota lock and
    # count (on PostgreSQL between two planner settings); transaction statements (BEGIN/COMMIT
    # are not captured on SQLite).
    assert len(captured.captured_queries) <= 16


def test_a_changed_price_applies_to_the_next_order(api_client, catalogue):
    assert place(api_client, catalogue).json()["total"] == "100.00"
    response = api_client.patch(f"{BASE}/products/{catalogue.ticket.pk}/", {"price": "80.00"}, format="json")
    assert response.status_code == 200
    assert place(api_client, catalogue).json()["total"] == "80.00"


def test_a_product_switched_off_outside_the_services_is_refused_at_once(api_client, catalogue):
    assert place(api_client, catalogue).status_code == 201
    with scopes_disabled():
        product = Product.objects.get(pk=catalogue.ticket.pk)
        product.active = False
        product.save()
    response = place(api_client, catalogue)
    assert response.status_code == 400
    assert response.json()["positions"][0]["product"] == ["This product is not available."]


def test_a_new_required_question_is_asked_on_the_next_order(api_client, catalogue):
    assert place(api_client, catalogue).status_code == 201
    with scope(organizer=catalogue.event.organizer):
        diet = Question.objects.create(event=catalogue.event, question={"en": "Diet"}, required=True)
        diet.products.add(catalogue.ticket)
    response = place(api_client, catalogue)
    assert response.status_code == 400
    assert "Diet: This question is required." in response.json()["positions"][0]["answers"]


def test_a_product_taken_out_of_its_quota_is_no_longer_sold(api_client, catalogue):
    assert place(api_client, catalogue).status_code == 201
    with scopes_disabled():
        Quota.objects.get(pk=catalogue.quota.pk).products.remove(catalogue.ticket)
    response = place(api_client, catalogue)
    assert response.status_code == 400
    assert response.json()["positions"][0]["product"] == ["This product is not available."]


def test_changed_plugin_settings_apply_to_the_next_order(api_client, catalogue):
    from eventyay_tickets.selectors import tickets_settings

    from eventyay.base.services.plugins import event_plugin_settings_update

    first = place(api_client, catalogue).json()
    with scope(organizer=catalogue.event.organizer):
        values = {**tickets_settings(catalogue.event), "payment_term_days": 30}
        event_plugin_settings_update(event=catalogue.event, plugin="tickets", values=values)
    second = place(api_client, catalogue).json()
    with scopes_disabled():
        one, two = (Order.objects.get(code=data["code"]) for data in (first, second))
    assert (two.expires - one.expires).days >= 15


def test_a_payment_method_switched_off_for_the_organizer_is_refused_at_once(api_client, catalogue):
    assert place(api_client, catalogue).status_code == 201
    with scopes_disabled():
        catalogue.event.organizer.settings.set("tickets_payment_banktransfer", {"enabled": False})
    response = place(api_client, catalogue)
    assert response.status_code == 400
    assert "payment_provider" in response.json()


def test_a_quota_closed_when_sold_out_stops_sales_for_the_next_order(api_client, catalogue):
    with scopes_disabled():
        quota = Quota.objects.get(pk=catalogue.quota.pk)
        quota.size = 1
        quota.close_when_sold_out = True
        quota.save()
    assert place(api_client, catalogue).status_code == 201
    with scopes_disabled():
        assert Quota.objects.get(pk=catalogue.quota.pk).closed is True
        Order.objects.filter(event=catalogue.event).update(status=Order.Status.CANCELED)
    response = place(api_client, catalogue)
    assert response.status_code == 400
    assert "sold out" in response.json()["positions"][0]["product"][0]


def test_a_clashing_order_code_is_retried_with_a_new_one(api_client, catalogue, monkeypatch):
    taken = place(api_client, catalogue).json()["code"]
    codes = iter([taken, "ZZZZZ"])
    monkeypatch.setattr("eventyay_tickets.services.orders.generate_order_code", lambda: next(codes))
    response = place(api_client, catalogue)
    assert response.status_code == 201
    assert response.json()["code"] == "ZZZZZ"
    with scopes_disabled():
        assert Order.objects.filter(event=catalogue.event).count() == 2
        assert Order.objects.get(code="ZZZZZ").positions.count() == 1


@pytest.mark.services
def test_capacity_counts_are_planned_without_nested_loops_while_statistics_are_missing(api_client, catalogue):
    """A new event has no planner statistics; a nested loop there made each recount quadratic."""
    from django.db import transaction
    from eventyay_tickets.services.locking import counting_plan
    from eventyay_tickets.services.quotas import usage_counts

    for _ in range(3):
        assert place(api_client, catalogue).status_code == 201
    query = usage_counts(catalogue.event.pk, [catalogue.ticket.pk])
    with transaction.atomic():
        with counting_plan():
            plan = query.explain()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_nestloop')")
            assert cursor.fetchone()[0] == "on", "the planner setting is restored for what follows"
    assert "Nested Loop" not in plan, plan
    assert "eventyay_base_event" not in str(query.query), "the count names its event without the scope's join"
    assert [row[2] for row in query] == [3]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_error_inside_a_count_is_raised_as_it_is():
    from django.db import DatabaseError, transaction
    from eventyay_tickets.services.locking import counting_plan

    with (
        pytest.raises(DatabaseError) as excinfo,
        transaction.atomic(),
        counting_plan(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")
    assert "division by zero" in str(excinfo.value)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_nestloop')")
        assert cursor.fetchone()[0] == "on"


def _statements_per_order(api_client: Any, catalogue: Any, positions: int) -> int:
    body = order_body(catalogue)
    body["positions"] = body["positions"] * positions
    assert api_client.post(f"{BASE}/orders/", body, format="json").status_code == 201
    with CaptureQueriesContext(connection) as captured:
        assert api_client.post(f"{BASE}/orders/", body, format="json").status_code == 201
    return len(captured.captured_queries)


def test_an_order_takes_the_same_few_statements_whatever_its_size(api_client, catalogue):
    # Far from the end of the quota: a sale near it also bumps the pages' content version
    # (the "N left" badge), which is one more statement on purpose.
    with scopes_disabled():
        Quota.objects.filter(event=catalogue.event).update(size=1000)
    one, five = (_statements_per_order(api_client, catalogue, n) for n in (1, 5))
    assert one == five
    # Token and content version (PostgreSQL: the lock timeout instead, the version comes from
    # Redis); transaction start and end; order, positions, answers (one batch each), payment,
    # log entry, webhooks; the quota counter (one conditional UPDATE).
    assert one <= 11, one
