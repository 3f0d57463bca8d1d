from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope
from eventyay_campaigns.models import Attribution, Campaign, Message, MessageEvent
from eventyay_campaigns.services.figures import figures_reconcile
from rest_framework.test import APIClient

from eventyay.base.services.teams import token_create
from eventyay.testing.openapi import assert_answer_documented

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizers/example/analytics/campaigns/"
PAGE = "/control/organizer/example/analytics/campaigns/"
SPRING = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring"}
AUTUMN = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "autumn"}
DAY1 = dt.datetime(2030, 3, 1, 10, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2030, 3, 2, 10, 0, tzinfo=dt.UTC)


def make_campaign(
    organizer: Any, crm_event: Any, name: str, utm: dict[str, str], recipients: int
) -> Campaign:
    """A sent campaign: ``recipients`` messages; the first clicks twice (a person) and once
    (a scanner), the second is only scanned, the third bounced, the fourth unsubscribed;
    one paid order (first touch) and one registration (last touch) come from it."""
    with scope(organizer=organizer):
        campaign = Campaign.objects.create(
            organizer=organizer, name=name, body="x", status=Campaign.Status.SENT, **utm
        )
        messages = Message.objects.bulk_create(
            Message(
                organizer=organizer,
                campaign=campaign,
                recipient=f"{name}{n}@example.org",
                status=Message.Status.SENT,
                sent_at=DAY1,
            )
            for n in range(recipients)
        )

        facts = [(m, "delivered", DAY1, False) for m in messages] + [
            (messages[0], "clicked", DAY1, False),
            (messages[0], "clicked", DAY2, False),
            (messages[0], "clicked", DAY1, True),
            (messages[1], "clicked", DAY1, True),
            (messages[2], "bounced", DAY1, False),
            (messages[3], "unsubscribed", DAY1, False),
        ]
        created = MessageEvent.objects.bulk_create(
            MessageEvent(organizer=organizer, message=m, campaign=campaign, kind=kind, automated=automated)
            for m, kind, _when, automated in facts
        )
        for when in (DAY1, DAY2):
            MessageEvent.objects.filter(
                pk__in=[row.pk for row, fact in zip(created, facts, strict=True) if fact[2] == when]
            ).update(created=when)
        common = {"organizer": organizer, "event": crm_event, "currency": "EUR"}
        Attribution.objects.create(
            **common, kind="order", reference=f"{name}-1", amount=Decimal("40.00"), first_campaign=campaign
        )
        Attribution.objects.create(
            **common,
            kind="order",
            reference=f"{name}-2",
            amount=Decimal("99.00"),
            first_campaign=campaign,
            active=False,
        )
        Attribution.objects.create(
            **common, kind="registration", reference=f"{name}-3", last_campaign=campaign
        )
        Attribution.objects.filter(first_campaign=campaign).update(created=DAY1)
        Attribution.objects.filter(last_campaign=campaign).update(created=DAY2)
    # The history above was written straight into the tables, past the services that count
    # it: the reconciliation counts it into the figures table, as it would after a migration.
    figures_reconcile(campaign_ids=[campaign.pk])
    return campaign


@pytest.fixture
def campaigns(organizer: Any, crm_event: Any) -> dict[str, Campaign]:
    return {
        "spring": make_campaign(organizer, crm_event, "spring", SPRING, 10),
        "autumn": make_campaign(organizer, crm_event, "autumn", AUTUMN, 5),
    }


def test_figures_per_campaign_and_totals(api_client: Any, campaigns: dict[str, Campaign]) -> None:
    response = api_client.get(URL, {"utm_source": "newsletter", "utm_medium": "email"})
    assert response.status_code == 200
    body = response.json()
    rows = {row["name"]: row for row in body["campaigns"]}
    spring = rows["spring"]
    assert {
        key: spring[key] for key in ("sent", "delivered", "bounced", "unsubscribed", "unique_clicks")
    } == {
        "sent": 10,
        "delivered": 10,
        "bounced": 1,
        "unsubscribed": 1,
        "unique_clicks": 1,
    }
    assert spring["click_through_rate"] == pytest.approx(100 / 9, abs=0.01)
    assert (spring["orders_first_touch"], spring["revenue_first_touch"]) == (1, "40.00")
    assert (spring["orders_last_touch"], spring["revenue_last_touch"]) == (0, "0.00")
    assert (spring["registrations_first_touch"], spring["registrations_last_touch"]) == (0, 1)
    totals = body["totals"]
    assert (totals["sent"], totals["unique_clicks"], totals["revenue_first_touch"]) == (15, 2, "80.00")
    assert body["currencies"] == ["EUR"]
    days = {day["date"]: day for day in body["daily"]}
    assert days["2030-03-01"]["sent"] == 15 and days["2030-03-02"]["sent"] == 0
    # A message counts on the day of its first click.
    assert days["2030-03-01"]["unique_clicks"] == 2 and days["2030-03-02"]["unique_clicks"] == 0
    assert days["2030-03-01"]["revenue_first_touch"] == "80.00"
    assert days["2030-03-02"]["registrations_last_touch"] == 2


def test_the_report_is_the_object_the_schema_documents(
    api_client: Any, client: Any, campaigns: dict[str, Campaign]
) -> None:
    document = client.get("/api/v1/schema/?format=json").json()
    response = api_client.get(URL, {"utm_campaign": "spring"})
    assert_answer_documented(
        document, response, path="/api/v1/organizers/{organizer}/analytics/campaigns/", method="get"
    )


def test_utm_filter_selects_campaigns(api_client: Any, campaigns: dict[str, Campaign]) -> None:
    body = api_client.get(URL, {"utm_campaign": "autumn"}).json()
    assert [row["name"] for row in body["campaigns"]] == ["autumn"]
    assert body["filters"] == {"utm_campaign": "autumn"} and body["totals"]["sent"] == 5
    assert api_client.get(URL, {"utm_campaign": "nothing"}).json()["totals"]["sent"] == 0


def test_one_campaign(api_client: Any, campaigns: dict[str, Campaign]) -> None:
    body = api_client.get(URL, {"campaign": campaigns["spring"].pk}).json()
    assert [row["name"] for row in body["campaigns"]] == ["spring"] and body["totals"]["sent"] == 10
    assert api_client.get(URL, {"campaign": 999999}).status_code == 404
    response = api_client.get(URL, {"campaign": "abc"})
    assert response.status_code == 400 and "campaign" in response.json()


def test_bad_filter_is_400_naming_the_field(api_client: Any) -> None:
    response = api_client.get(URL, {"utm_source": "x" * 101})
    assert response.status_code == 400 and "utm_source" in response.json()


def test_query_count_is_constant(api_client: Any, organizer: Any, crm_event: Any) -> None:
    make_campaign(organizer, crm_event, "one", SPRING, 4)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(URL).status_code == 200
        return len(queries)

    count()
    before = count()
    for n in range(3):
        make_campaign(organizer, crm_event, f"more{n}", {**SPRING, "utm_campaign": f"c{n}"}, 4)
    assert count() == before


def test_other_organizer_gets_404(other_organizer: Any, campaigns: dict[str, Campaign]) -> None:
    with scope(organizer=other_organizer):
        _token, secret = token_create(team=other_organizer.teams.get(), name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(URL).status_code == 404
    assert client.get(URL, {"campaign": campaigns["spring"].pk}).status_code == 404
    # Their own figures do not include our campaigns, not even by id.
    theirs = "/api/v1/organizers/other/analytics/campaigns/"
    assert client.get(theirs).json()["campaigns"] == []
    assert client.get(theirs, {"campaign": campaigns["spring"].pk}).status_code == 404


def test_needs_the_campaigns_read_permission(organizer: Any, campaigns: dict[str, Campaign]) -> None:
    with scope(organizer=organizer):
        contacts_only = organizer.teams.create(name="Contacts", permissions=["organizer.contacts:read"])
        _token, contacts_secret = token_create(team=contacts_only, name="t")
        readers = organizer.teams.create(name="Readers", permissions=["organizer.campaigns:read"])
        _token, readers_secret = token_create(team=readers, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {contacts_secret}")
    assert client.get(URL).status_code == 403
    client.credentials(HTTP_AUTHORIZATION=f"Token {readers_secret}")
    assert client.get(URL).status_code == 200


def test_control_page_charts_and_csv(client_for: Any, user: Any, campaigns: dict[str, Campaign]) -> None:
    client = client_for(user)
    response = client.get(PAGE, {"utm_source": "newsletter"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and "spring" in page and "autumn" in page
    assert "2030-03-01" in page
    export = client.get(PAGE, {"utm_source": "newsletter", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [row["name"] for row in rows] == ["autumn", "spring", "total"]
    assert rows[-1]["sent"] == "15" and rows[1]["revenue_first_touch"] == "40.00"
    bad = client.get(PAGE, {"utm_source": "x" * 101})
    assert bad.status_code == 200 and "utm_source" in bad.content.decode()


def test_control_page_of_another_organizer_is_404(
    client_for: Any, other_organizer: Any, campaigns: dict[str, Campaign]
) -> None:
    client = client_for(other_organizer.member)
    assert client.get(PAGE).status_code == 404
    assert client.get(PAGE, {"format": "csv"}).status_code == 404


def test_control_page_query_count_is_constant(
    client_for: Any, user: Any, organizer: Any, crm_event: Any
) -> None:
    client = client_for(user)
    make_campaign(organizer, crm_event, "one", SPRING, 4)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    count()
    before = count()
    for n in range(3):
        make_campaign(organizer, crm_event, f"more{n}", {**SPRING, "utm_campaign": f"c{n}"}, 4)
    assert count() == before


def test_sending_time_is_now_when_unset_does_not_break(api_client: Any, organizer: Any) -> None:
    with scope(organizer=organizer):
        campaign = Campaign.objects.create(organizer=organizer, name="Draft", body="x")
        Message.objects.create(organizer=organizer, campaign=campaign, recipient="a@example.org")
        Message.objects.create(
            organizer=organizer,
            campaign=campaign,
            recipient="b@example.org",
            status="sent",
            sent_at=timezone.now(),
        )
    figures_reconcile(campaign_ids=[campaign.pk])
    body = api_client.get(URL).json()
    assert body["totals"]["sent"] == 1 and body["totals"]["click_through_rate"] == 0.0
