from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_campaigns.models import CustomFieldDefinition
from eventyay_campaigns.services import contacts as contact_services
from rest_framework.test import APIClient

from eventyay.base.services.teams import token_create

from .conftest import fake_order

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizers/example/contacts/"


@pytest.fixture
def people(organizer: Any, crm_event: Any, make_contact: Any) -> dict[str, Any]:
    with scope(organizer=organizer):
        CustomFieldDefinition.objects.create(
            organizer=organizer, key="tier", label="Tier", type="choice", choices=["gold", "silver"]
        )
    ann = make_contact(
        "ann@example.org",
        first_name="Ann",
        last_name="Archer",
        company="TechCorp",
        city="New York",
        job_title="CTO",
        state="NY",
        country="US",
        tags=["vip"],
        custom_fields={"tier": "gold"},
        marketing_consent=True,
    )
    bob = make_contact(
        "bob@example.org",
        first_name="Bob",
        last_name="Baker",
        company="techcorp",
        city="Boston",
        country="US",
    )
    cid = make_contact(
        "cid@example.org", first_name="Cid", last_name="Cole", company="Other Ltd", city="New York"
    )
    with scope(organizer=organizer):
        contact_services.history_record(contact=ann, event=crm_event, kind="attended", source="order:A")
        contact_services.history_record(contact=ann, event=crm_event, kind="registered", source="order:A")
        contact_services.history_record(contact=bob, event=crm_event, kind="hosted", source="team:1")
        contact_services.order_record(
            event=crm_event,
            order=fake_order("C1", "cid@example.org", ("", "", 5)),
            paid=False,
        )
    return {"ann": ann, "bob": bob, "cid": cid}


def emails(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["email"] for row in response.json()["results"]]


def test_create_update_delete(api_client: Any) -> None:
    response = api_client.post(
        URL,
        {"email": "New@Example.org", "first_name": "New", "tags": ["a", "b"], "marketing_consent": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tags"] == ["a", "b"] and body["consent_source"] == "api" and body["consent_at"]
    assert body["events_attended"] == 0
    duplicate = api_client.post(URL, {"email": "new@example.ORG"}, format="json")
    assert duplicate.status_code == 400 and "email" in duplicate.json()
    response = api_client.patch(f"{URL}{body['id']}/", {"city": "Paris", "events_attended": 9}, format="json")
    assert response.status_code == 200 and response.json()["city"] == "Paris"
    assert response.json()["events_attended"] == 0
    bad = api_client.patch(f"{URL}{body['id']}/", {"custom_fields": {"nope": 1}}, format="json")
    assert bad.status_code == 400 and "custom_fields.nope" in bad.json()
    assert api_client.delete(f"{URL}{body['id']}/").status_code == 204
    assert api_client.get(f"{URL}{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("company=TechCorp", ["ann@example.org", "bob@example.org"]),
        ("job_title=cto", ["ann@example.org"]),
        ("city=New+York", ["ann@example.org", "cid@example.org"]),
        ("state=ny", ["ann@example.org"]),
        ("country=us", ["ann@example.org", "bob@example.org"]),
        ("tag=VIP", ["ann@example.org"]),
        ("cf_tier=gold", ["ann@example.org"]),
        ("marketing_consent=true", ["ann@example.org"]),
        ("marketing_consent=false", ["bob@example.org", "cid@example.org"]),
        ("events_attended_min=1", ["ann@example.org"]),
        ("events_attended_max=0", ["bob@example.org", "cid@example.org"]),
        ("events_hosted_min=1", ["bob@example.org"]),
        ("attended_event=crmconf", ["ann@example.org"]),
        ("bought_product=5", ["cid@example.org"]),
        ("registered_from=2000-01-01&registered_to=2100-01-01", ["ann@example.org", "cid@example.org"]),
        ("registered_to=2000-01-01", []),
        ("search=arch", ["ann@example.org"]),
        ("search=techcorp+bob", ["bob@example.org"]),
        ("company=TechCorp&city=New+York&events_attended_min=1&sort_by=-first_name", ["ann@example.org"]),
        ("city=New+York&sort_by=-first_name", ["cid@example.org", "ann@example.org"]),
        ("sort_by=email", ["ann@example.org", "bob@example.org", "cid@example.org"]),
        ("sort_by=-events_hosted", ["bob@example.org", "cid@example.org", "ann@example.org"]),
    ],
)
def test_filters(api_client: Any, people: Any, query: str, expected: list[str]) -> None:
    assert emails(api_client.get(f"{URL}?{query}")) == expected


def test_pagination_and_limit(api_client: Any, people: Any) -> None:
    first = api_client.get(f"{URL}?sort_by=email&limit=2").json()
    assert first["count"] == 3 and [r["email"] for r in first["results"]] == [
        "ann@example.org",
        "bob@example.org",
    ]
    second = api_client.get(first["next"]).json()
    assert [r["email"] for r in second["results"]] == ["cid@example.org"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("events_attended_min=abc", "events_attended_min"),
        ("sort_by=password", "sort_by"),
        ("attended_event=nope", "attended_event"),
        ("registered_from=yesterday", "registered_from"),
        ("cf_tier=bronze", "cf_tier"),
        ("events_attended_min=3&events_attended_max=1", "events_attended_max"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api_client: Any, people: Any, query: str, field: str) -> None:
    response = api_client.get(f"{URL}?{query}")
    assert response.status_code == 400 and field in response.json()


def test_list_query_count_is_constant(
    api_client: Any, organizer: Any, make_contact: Any, people: Any
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(URL).status_code == 200
        return len(queries)

    count()  # the first request of a token memoises its grant
    before = count()
    for n in range(5):
        make_contact(f"more{n}@example.org", tags=["x", f"t{n}"])
    assert count() == before


def test_other_organizer_gets_404(other_organizer: Any, people: Any) -> None:
    with scope(organizer=other_organizer):
        _token, secret = token_create(team=other_organizer.teams.get(), name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    ann = people["ann"]
    for method, url in (
        ("get", URL),
        ("get", f"{URL}{ann.pk}/"),
        ("patch", f"{URL}{ann.pk}/"),
        ("delete", f"{URL}{ann.pk}/"),
        ("get", "/api/v1/organizers/example/segments/"),
        ("post", "/api/v1/organizers/example/segments/"),
    ):
        assert getattr(client, method)(url, {}, format="json").status_code == 404, (method, url)
    # Their own contacts list does not show ours.
    assert client.get("/api/v1/organizers/other/contacts/").json()["results"] == []


def test_permissions(organizer: Any, people: Any) -> None:
    with scope(organizer=organizer):
        team = organizer.teams.create(name="Readers", permissions=["organizer.contacts:read"])
        _token, secret = token_create(team=team, name="t")
        none_team = organizer.teams.create(name="Nothing", permissions=[], all_events=True)
        _token, none_secret = token_create(team=none_team, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"email": "x@example.org"}, format="json").status_code == 403
    client.credentials(HTTP_AUTHORIZATION=f"Token {none_secret}")
    assert client.get(URL).status_code == 403


def test_segments(api_client: Any, people: Any) -> None:
    url = "/api/v1/organizers/example/segments/"
    bad = api_client.post(url, {"name": "NY", "filters": {"events_attended_min": "x"}}, format="json")
    assert bad.status_code == 400 and "filters.events_attended_min" in bad.json()
    response = api_client.post(
        url, {"name": "NY", "filters": {"city": "New York", "company": ""}}, format="json"
    )
    assert response.status_code == 201, response.content
    segment = response.json()
    assert segment["filters"] == {"city": "New York"}
    assert api_client.get(f"{url}{segment['id']}/").json()["size"] == 2
    response = api_client.patch(
        f"{url}{segment['id']}/", {"filters": {"city": "New York", "tag": "vip"}}, format="json"
    )
    assert response.status_code == 200
    assert api_client.get(f"{url}{segment['id']}/").json()["size"] == 1
    assert api_client.delete(f"{url}{segment['id']}/").status_code == 204


@pytest.mark.parametrize("text", ["'", "\\", "a:b & c | !d", "((", "*:*", "o'brien", "ü"])
def test_search_takes_any_text(api_client: Any, people: Any, text: str) -> None:
    response = api_client.get(URL, {"search": text})
    assert response.status_code == 200 and response.json()["results"] == []


def test_schema_names_the_consent_sources_once() -> None:
    """Both consent fields share one named choice set (no "multiple names" schema warning)."""
    from drf_spectacular.settings import spectacular_settings

    schema = spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    contact = components["CampaignsContact"]["properties"]
    for field in ("consent_source", "sms_consent_source"):
        refs = [part["$ref"] for part in contact[field]["oneOf"]]
        assert "#/components/schemas/ContactConsentSourceEnum" in refs, contact[field]
    assert "SmsConsentSourceEnum" not in components and "ConsentSourceEnum" not in components
