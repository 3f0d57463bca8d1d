"""``/api/v1/organizers/<org>/campaigns/``: the seed's flow, drafts only edited, actions, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_campaigns.models import Campaign, Message, MessageEvent
from eventyay_campaigns.services import campaigns as services
from eventyay_campaigns.services.figures import figures_reconcile
from rest_framework.test import APIClient

from eventyay.base.services.teams import token_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizers/example/campaigns/"
SEED = {
    "name": "Tech conf invitation",
    "filter": {"company": "TechCorp", "city": "New York", "events_attended_min": 1},
    "subject": "Join us again, {first_name}",
    "body": "Hello {first_name}, the [programme](https://example.org/) is out.",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "tech_conf_2025",
}


@pytest.fixture
def people(organizer: Any, make_contact: Any) -> dict[str, Any]:
    with scope(organizer=organizer):
        made = {
            "ann": make_contact(
                "ann@example.org",
                first_name="Ann",
                company="TechCorp",
                city="New York",
                marketing_consent=True,
            ),
            "bob": make_contact(
                "bob@example.org",
                first_name="Bob",
                company="TechCorp",
                city="New York",
                marketing_consent=True,
            ),
            "cid": make_contact(
                "cid@example.org", first_name="Cid", company="Other", city="New York", marketing_consent=True
            ),
        }
        from eventyay_campaigns.models import Contact

        Contact.objects.filter(email__in=["ann@example.org", "cid@example.org"]).update(events_attended=2)
    return made


def test_the_seed_flow_creates_a_campaign_for_a_filter_and_sends_it(
    api_client: APIClient, people: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    created = api_client.post(URL, SEED, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft"
    assert body["filter"] == SEED["filter"]
    assert {k: body[k] for k in ("utm_source", "utm_medium", "utm_campaign")} == {
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "tech_conf_2025",
    }
    with django_capture_on_commit_callbacks(execute=True):
        sent = api_client.post(f"{URL}{body['id']}/send/")
    assert sent.status_code == 202, sent.json()
    assert sent.json()["counters"]["recipients"] == 1
    assert [m.to for m in mailoutbox] == [["ann@example.org"]]
    assert mailoutbox[0].subject == "Join us again, Ann"
    detail = api_client.get(f"{URL}{body['id']}/").json()
    assert detail["status"] == "sent"
    assert detail["counters"]["sent"] == 1 and detail["counters"]["failed"] == 0


def test_a_bad_filter_is_400_naming_the_field(api_client: APIClient, people: Any) -> None:
    response = api_client.post(URL, {**SEED, "filter": {"events_attended_min": "x"}}, format="json")
    assert response.status_code == 400
    assert "filter.events_attended_min" in response.json()
    response = api_client.post(URL, {**SEED, "channel": "pigeon", "sender": "x"}, format="json")
    assert response.status_code == 400 and {"channel", "sender"} <= set(response.json())


def test_only_drafts_are_changed_or_deleted(
    api_client: APIClient, people: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    campaign_id = api_client.post(URL, SEED, format="json").json()["id"]
    patched = api_client.patch(f"{URL}{campaign_id}/", {"name": "Renamed"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(f"{URL}{campaign_id}/send/")
    assert api_client.patch(f"{URL}{campaign_id}/", {"name": "Again"}, format="json").status_code == 409
    assert api_client.delete(f"{URL}{campaign_id}/").status_code == 409
    assert api_client.post(f"{URL}{campaign_id}/send/").status_code == 409
    draft_id = api_client.post(URL, SEED, format="json").json()["id"]
    assert api_client.delete(f"{URL}{draft_id}/").status_code == 204


def test_pause_resume_and_cancel(
    api_client: APIClient, organizer: Any, people: Any, monkeypatch: Any
) -> None:
    # The batches are not run here: the states are under test.
    monkeypatch.setattr(services, "_enqueue_batch", lambda campaign_id: None)
    campaign_id = api_client.post(URL, {**SEED, "filter": {"company": "TechCorp"}}, format="json").json()[
        "id"
    ]
    assert api_client.post(f"{URL}{campaign_id}/resume/").status_code == 409
    assert api_client.post(f"{URL}{campaign_id}/send/").status_code == 202
    paused = api_client.post(f"{URL}{campaign_id}/pause/")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    resumed = api_client.post(f"{URL}{campaign_id}/resume/")
    assert resumed.status_code == 200 and resumed.json()["status"] == "sending"
    canceled = api_client.post(f"{URL}{campaign_id}/cancel/")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert canceled.json()["counters"]["canceled"] == 2
    assert api_client.post(f"{URL}{campaign_id}/cancel/").status_code == 409


def test_a_future_send_at_schedules(api_client: APIClient, people: Any) -> None:
    campaign_id = api_client.post(URL, {**SEED, "send_at": "2099-01-01T10:00:00Z"}, format="json").json()[
        "id"
    ]
    response = api_client.post(f"{URL}{campaign_id}/send/")
    assert response.status_code == 202 and response.json()["status"] == "scheduled"


def test_counters_come_from_messages_and_facts(
    api_client: APIClient, organizer: Any, people: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(services, "_enqueue_batch", lambda campaign_id: None)
    campaign_id = api_client.post(URL, {**SEED, "filter": {"company": "TechCorp"}}, format="json").json()[
        "id"
    ]
    api_client.post(f"{URL}{campaign_id}/send/")
    with scope(organizer=organizer):
        ann, bob = Message.objects.filter(campaign_id=campaign_id).order_by("recipient")
        Message.objects.filter(pk=ann.pk).update(status=Message.Status.SENT)
        Message.objects.filter(pk=bob.pk).update(status=Message.Status.SKIPPED)
        for kind, automated in (
            ("delivered", False),
            ("clicked", False),
            ("clicked", False),
            ("clicked", True),
        ):
            MessageEvent.objects.create(
                organizer=organizer, message=ann, campaign_id=campaign_id, kind=kind, automated=automated
            )
        MessageEvent.objects.create(
            organizer=organizer, message=bob, campaign_id=campaign_id, kind="clicked", automated=True
        )
    # The facts were written past the services that count them: the reconciliation counts them.
    figures_reconcile(campaign_ids=[campaign_id])
    counters = api_client.get(f"{URL}{campaign_id}/").json()["counters"]
    assert counters == {
        "recipients": 2,
        "sent": 1,
        "failed": 0,
        "skipped": 1,
        "canceled": 0,
        "queued": 0,
        "delivered": 1,
        "bounced": 0,
        "unsubscribed": 0,
        "clicks": 1,
    }


def test_list_query_count_is_constant(api_client: APIClient, organizer: Any, people: Any) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(URL).status_code == 200
        return len(queries)

    api_client.post(URL, SEED, format="json")
    count()
    before = count()
    for n in range(4):
        api_client.post(URL, {**SEED, "name": f"More {n}"}, format="json")
    assert count() == before
    assert len(api_client.get(URL).json()["results"]) == 5


def test_another_organizers_token_gets_404(other_organizer: Any, api_client: APIClient, people: Any) -> None:
    campaign_id = api_client.post(URL, SEED, format="json").json()["id"]
    with scope(organizer=other_organizer):
        _token, secret = token_create(team=other_organizer.teams.get(), name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    for method, url in (
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}{campaign_id}/"),
        ("patch", f"{URL}{campaign_id}/"),
        ("delete", f"{URL}{campaign_id}/"),
        ("post", f"{URL}{campaign_id}/send/"),
        ("post", f"{URL}{campaign_id}/pause/"),
        ("post", f"{URL}{campaign_id}/cancel/"),
    ):
        assert getattr(client, method)(url, {}, format="json").status_code == 404, (method, url)
    # Their own list does not show ours, and their URL does not reach our campaign.
    assert client.get("/api/v1/organizers/other/campaigns/").json()["results"] == []
    assert client.get(f"/api/v1/organizers/other/campaigns/{campaign_id}/").status_code == 404
    with scope(organizer=other_organizer):
        assert not Campaign.objects.filter(organizer=other_organizer).exists()


def test_campaign_permissions(api_client_with_permissions: Any, api_client: APIClient, people: Any) -> None:
    campaign_id = api_client.post(URL, SEED, format="json").json()["id"]
    reader = api_client_with_permissions("organizer.campaigns:read")
    assert reader.get(URL).status_code == 200
    assert reader.post(URL, SEED, format="json").status_code == 403
    assert reader.post(f"{URL}{campaign_id}/send/").status_code == 403
    contacts_only = api_client_with_permissions("organizer.contacts:write")
    assert contacts_only.get(URL).status_code == 403


def test_another_organizers_segment_is_400(api_client: APIClient, other_organizer: Any, people: Any) -> None:
    from eventyay_campaigns.services.contacts import segment_save

    with scope(organizer=other_organizer):
        theirs = segment_save(organizer=other_organizer, name="Theirs", filters={})
    response = api_client.post(URL, {**SEED, "segment": theirs.pk}, format="json")
    assert response.status_code == 400 and "segment" in response.json()
