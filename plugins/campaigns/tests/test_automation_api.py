"""``/api/v1/organizers/<org>/automation/rules/`` and ``.../automation/templates/``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_campaigns.models import AutomationStep
from eventyay_campaigns.services import automation
from rest_framework.test import APIClient

from eventyay.base.services.teams import token_create

pytestmark = pytest.mark.django_db

RULES = "/api/v1/organizers/example/automation/rules/"
TEMPLATES = "/api/v1/organizers/example/automation/templates/"


@pytest.fixture
def template_id(api_client: Any, crm_event: Any) -> int:
    response = api_client.post(
        TEMPLATES,
        {"name": "Hello", "channel": "email", "subject": "Hi", "body": "Hello {first_name}"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


def _rule(api_client: Any, template_id: int, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "Welcome buyers",
        "trigger": "order_paid",
        "event": "crmconf",
        "conditions": {"city": "Berlin"},
        "actions": [
            {"kind": "send_message", "template": template_id, "delay_minutes": 60},
            {"kind": "add_tag", "tag": "buyer"},
        ],
        **extra,
    }
    response = api_client.post(RULES, body, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_create_read_update_delete(api_client: Any, template_id: int) -> None:
    rule = _rule(api_client, template_id)
    assert rule["event"] == "crmconf" and rule["status"] == "active"
    assert rule["conditions"] == {"city": "Berlin"}
    assert [a["kind"] for a in rule["actions"]] == ["send_message", "add_tag"]
    assert rule["actions"][0]["template"] == template_id and rule["actions"][0]["delay_minutes"] == 60
    url = f"{RULES}{rule['id']}/"
    changed = api_client.patch(
        url, {"name": "Renamed", "actions": [{"kind": "remove_tag", "tag": "x"}]}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Renamed" and [a["kind"] for a in changed.json()["actions"]] == [
        "remove_tag"
    ]
    assert api_client.get(RULES).json()["results"][0]["name"] == "Renamed"
    assert api_client.delete(url).status_code == 204
    assert api_client.get(url).status_code == 404


def test_bad_input_names_the_field(api_client: Any, template_id: int, other_organizer: Any) -> None:
    response = api_client.post(
        RULES,
        {
            "name": "x",
            "trigger": "order_paid",
            "event": "otherconf",
            "conditions": {"events_attended_min": "lots"},
            "actions": [{"kind": "send_message", "template": template_id + 1000}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "event" in response.json()
    response = api_client.post(
        RULES,
        {
            "name": "x",
            "trigger": "order_paid",
            "conditions": {"events_attended_min": "lots"},
            "actions": [{"kind": "send_message", "template": template_id + 1000}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"conditions.events_attended_min", "actions.0.template"} <= set(response.json())
    empty = api_client.post(RULES, {"name": "x", "trigger": "order_paid", "actions": []}, format="json")
    assert empty.status_code == 400 and "actions" in empty.json()
    bad_channel = api_client.post(TEMPLATES, {"name": "x", "channel": "pigeon", "body": "x"}, format="json")
    assert bad_channel.status_code == 400 and "channel" in bad_channel.json()


def test_pause_cancels_pending_steps_and_resume(
    api_client: Any, template_id: int, organizer: Any, make_contact: Any
) -> None:
    rule = _rule(api_client, template_id, trigger="contact_created", event=None, conditions={})
    ann = make_contact("ann@example.org")
    # The test's transaction never commits: fire what contact_save leaves for after the commit.
    automation.created_fire(contact=ann)
    with scope(organizer=organizer):
        assert AutomationStep.objects.filter(status="pending").count() == 2
    response = api_client.post(f"{RULES}{rule['id']}/pause/")
    assert response.status_code == 200 and response.json()["status"] == "paused"
    with scope(organizer=organizer):
        assert AutomationStep.objects.filter(status="pending").count() == 0
        assert AutomationStep.objects.filter(status="canceled").count() == 2
    response = api_client.post(f"{RULES}{rule['id']}/resume/")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_list_queries_stay_constant(api_client: Any, template_id: int) -> None:
    _rule(api_client, template_id)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(RULES).status_code == 200
        return len(queries)

    count()
    before = count()
    for n in range(4):
        _rule(api_client, template_id, name=f"rule {n}")
    assert count() == before


def test_other_organizer_gets_404(other_organizer: Any, api_client: Any, template_id: int) -> None:
    rule = _rule(api_client, template_id)
    with scope(organizer=other_organizer):
        _token, secret = token_create(team=other_organizer.teams.get(), name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    for method, url in (
        ("get", RULES),
        ("post", RULES),
        ("get", f"{RULES}{rule['id']}/"),
        ("patch", f"{RULES}{rule['id']}/"),
        ("delete", f"{RULES}{rule['id']}/"),
        ("post", f"{RULES}{rule['id']}/pause/"),
        ("get", TEMPLATES),
    ):
        assert getattr(client, method)(url, {}, format="json").status_code == 404, (method, url)
    assert client.get("/api/v1/organizers/other/automation/rules/").json()["results"] == []


def test_permissions(organizer: Any, api_client: Any, template_id: int) -> None:
    rule = _rule(api_client, template_id)
    with scope(organizer=organizer):
        readers = organizer.teams.create(name="Readers", permissions=["organizer.campaigns:read"])
        _token, reader = token_create(team=readers, name="t")
        contacts_only = organizer.teams.create(name="Contacts", permissions=["organizer.contacts:write"])
        _token, other = token_create(team=contacts_only, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {reader}")
    assert client.get(RULES).status_code == 200
    assert client.post(f"{RULES}{rule['id']}/pause/").status_code == 403
    assert client.post(RULES, {}, format="json").status_code == 403
    client.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert client.get(RULES).status_code == 403
