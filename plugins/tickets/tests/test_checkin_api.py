"""The check-in API: redeem RPC (statuses, nonce replay, tenancy, bad input) and offline sync."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope
from rest_framework.test import APIClient

from .backoffice import make_checkin_list, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkin_list(catalogue):
    return make_checkin_list(catalogue)


REDEEM = "/api/v1/organizers/example/checkinrpc/redeem/"
LISTS = "/api/v1/organizers/example/events/shop/checkinlists/"


def secret_of(order):
    with scope(organizer=order.event.organizer):
        return order.positions.get().secret


def test_redeem_answers_created_then_already_redeemed(api_client, catalogue, checkin_list):
    secret = secret_of(place_order(catalogue, name="Ada Lovelace"))
    body = {"secret": secret, "lists": [checkin_list.pk], "nonce": "n1", "type": "entry"}
    first = api_client.post(REDEEM, body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "ok"
    assert first.json()["position"]["attendee_name"] == "Ada Lovelace"
    replay = api_client.post(REDEEM, body, format="json")
    assert replay.status_code == 200
    assert replay.json()["replayed"] is True
    assert replay.json()["checkin"]["id"] == first.json()["checkin"]["id"]
    again = api_client.post(REDEEM, {**body, "nonce": "n2"}, format="json")
    assert again.json()["status"] == "already_redeemed"
    assert again.json()["when"] == first.json()["checkin"]["datetime"]


def test_redeem_takes_the_device_time(api_client, catalogue, checkin_list):
    when = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    body = {
        "secret": secret_of(place_order(catalogue)),
        "lists": [checkin_list.pk],
        "datetime": when.isoformat(),
    }
    response = api_client.post(REDEEM, body, format="json")
    assert dt.datetime.fromisoformat(response.json()["checkin"]["datetime"]) == when


def test_redeem_reports_unpaid_and_invalid(api_client, catalogue, checkin_list):
    unpaid = api_client.post(
        REDEEM,
        {"secret": secret_of(place_order(catalogue, paid=False)), "lists": [checkin_list.pk]},
        format="json",
    )
    assert (unpaid.status_code, unpaid.json()["status"]) == (200, "unpaid")
    invalid = api_client.post(REDEEM, {"secret": "nope", "lists": [checkin_list.pk]}, format="json")
    assert invalid.json()["status"] == "invalid"


def test_bad_input_names_the_field(api_client, catalogue, checkin_list):
    response = api_client.post(REDEEM, {"secret": "x", "lists": [], "type": "up"}, format="json")
    assert response.status_code == 400
    assert {"lists", "type"} <= set(response.json())
    unknown = api_client.post(REDEEM, {"secret": "x", "lists": [999999]}, format="json")
    assert unknown.status_code == 400 and "lists" in unknown.json()


def test_other_organizers_cannot_redeem_or_see_lists(catalogue, checkin_list, other_organizer):
    from eventyay.base.services.teams import token_create

    with scope(organizer=other_organizer):
        team = other_organizer.teams.get()
        _token, secret = token_create(team=team, name="other")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    body = {"secret": secret_of(place_order(catalogue)), "lists": [checkin_list.pk]}
    assert client.post(REDEEM, body, format="json").status_code == 404
    assert client.get(LISTS).status_code == 404
    other_redeem = "/api/v1/organizers/other/checkinrpc/redeem/"
    assert client.post(other_redeem, body, format="json").status_code == 400


def test_a_token_without_the_checkin_permission_is_refused(catalogue, checkin_list, organizer):
    from django_scopes import scopes_disabled

    from eventyay.base.services.teams import team_save, token_create

    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Readers", permissions=["event.orders:read"], all_events=True
        )
        _token, secret = token_create(team=team, name="reader")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    body = {"secret": secret_of(place_order(catalogue)), "lists": [checkin_list.pk]}
    assert client.post(REDEEM, body, format="json").status_code == 403


def test_positions_for_offline_sync(api_client, catalogue, checkin_list):
    paid = place_order(catalogue, name="Ada Lovelace")
    place_order(catalogue, paid=False)
    response = api_client.get(f"{LISTS}{checkin_list.pk}/positions/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["order"], r["secret"]) for r in rows] == [(paid.code, secret_of(paid))]
    assert rows[0]["checkins"] == []


def test_positions_modified_since_returns_changes_and_cancellations(
    api_client, catalogue, checkin_list, django_assert_max_num_queries
):
    from eventyay_tickets.services import order_cancel

    quiet = place_order(catalogue, name="Quiet")
    canceled = place_order(catalogue, name="Canceled")
    scanned = place_order(catalogue, name="Scanned")
    since = timezone.now()
    with scope(organizer=catalogue.event.organizer):
        canceled.event = catalogue.event
        order_cancel(order=canceled, refund=False, send_email=False)
    api_client.post(REDEEM, {"secret": secret_of(scanned), "lists": [checkin_list.pk]}, format="json")
    with django_assert_max_num_queries(12):
        response = api_client.get(
            f"{LISTS}{checkin_list.pk}/positions/", {"modified_since": since.isoformat()}
        )
    rows = {r["order"]: r for r in response.json()["results"]}
    assert quiet.code not in rows
    assert rows[canceled.code]["order_status"] == "canceled"
    assert len(rows[scanned.code]["checkins"]) == 1
    bad = api_client.get(f"{LISTS}{checkin_list.pk}/positions/", {"modified_since": "yesterday"})
    assert bad.status_code == 400 and "modified_since" in bad.json()


def test_lists_are_listed_and_created(api_client, catalogue, checkin_list):
    assert [row["name"] for row in api_client.get(LISTS).json()["results"]] == ["Main entrance"]
    response = api_client.post(
        LISTS, {"name": "Workshops", "all_products": False, "products": [catalogue.shirt.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["products"] == [catalogue.shirt.pk]


def test_invoices_api_lists_and_downloads(api_client, catalogue, other_organizer):
    from eventyay_tickets.services.invoices import invoice_create

    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        order.event = catalogue.event
        invoice = invoice_create(order=order)
    url = "/api/v1/organizers/example/events/shop/invoices/"
    rows = api_client.get(url, {"order": order.code}).json()["results"]
    assert [r["full_number"] for r in rows] == [invoice.full_number]
    download = api_client.get(f"{url}{invoice.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_of_one_ticket_admit_it_once(catalogue, checkin_list):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from eventyay_tickets.services.checkin import checkin_redeem

    secret = secret_of(place_order(catalogue))
    organizer = catalogue.event.organizer

    def scan(index: int) -> str:
        try:
            with scope(organizer=organizer):
                return checkin_redeem(
                    organizer=organizer, secret=secret, lists=[checkin_list], nonce=f"gate-{index}"
                ).status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(scan, range(8)))
    assert statuses.count("ok") == 1
    assert statuses.count("already_redeemed") == 7
