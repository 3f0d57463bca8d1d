"""Control panel pages of automation: rules, templates, and a contact's timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_campaigns.models import AutomationRule, MessageTemplate
from eventyay_campaigns.services import automation

pytestmark = pytest.mark.django_db

BASE = "/control/organizer/example/automation/"


@pytest.fixture
def client(client_for: Any, user: Any) -> Any:
    return client_for(user)


@pytest.fixture
def template(organizer: Any, crm_event: Any) -> MessageTemplate:
    with scope(organizer=organizer):
        return automation.template_save(
            organizer=organizer, data={"name": "Hello", "subject": "Hi", "body": "Hi"}
        )


def _rule(organizer: Any, name: str = "Tag buyers", **data: Any) -> AutomationRule:
    with scope(organizer=organizer):
        return automation.rule_save(
            organizer=organizer,
            data={"name": name, "trigger": "contact_created", **data},
            actions=[{"kind": "add_tag", "tag": "new", "delay_minutes": 30}],
        )


def test_create_a_rule_with_actions(client: Any, organizer: Any, template: Any) -> None:
    response = client.post(
        BASE + "add/",
        {
            "name": "Welcome",
            "trigger": "contact_tagged",
            "tag": "vip",
            "offset_minutes": "0",
            "conditions_text": "city=Berlin",
            "action0-kind": "send_message",
            "action0-template": str(template.pk),
            "action0-delay_minutes": "10",
            "action1-kind": "webhook",
            "action1-webhook_url": "https://hooks.example.org/x",
            "action2-kind": "",
        },
    )
    assert response.status_code == 302
    with scope(organizer=organizer):
        rule = AutomationRule.objects.get(name="Welcome")
        assert rule.conditions == {"city": "Berlin"} and rule.tag == "vip"
        assert [(a.kind, a.delay_minutes) for a in rule.actions.all()] == [
            ("send_message", 10),
            ("webhook", 0),
        ]
    page = client.get(BASE + f"{rule.pk}/").content.decode()
    assert "city=Berlin" in page and "https://hooks.example.org/x" in page


def test_bad_conditions_are_a_form_error(client: Any, organizer: Any, crm_event: Any) -> None:
    response = client.post(
        BASE + "add/",
        {
            "name": "x",
            "trigger": "contact_created",
            "offset_minutes": "0",
            "conditions_text": "events_attended_min=x",
            "action0-kind": "add_tag",
            "action0-tag": "t",
        },
    )
    assert response.status_code == 200
    assert "conditions.events_attended_min" in response.content.decode()
    with scope(organizer=organizer):
        assert not AutomationRule.objects.exists()


def test_pause_and_resume_from_the_list(client: Any, organizer: Any, crm_event: Any) -> None:
    rule = _rule(organizer)
    assert client.post(BASE + f"{rule.pk}/pause/").status_code == 302
    with scope(organizer=organizer):
        assert AutomationRule.objects.get(pk=rule.pk).status == "paused"
    assert "Resume" in client.get(BASE).content.decode()
    client.post(BASE + f"{rule.pk}/pause/", {"resume": "1"})
    with scope(organizer=organizer):
        assert AutomationRule.objects.get(pk=rule.pk).status == "active"


def test_rule_list_queries_stay_constant(client: Any, organizer: Any, crm_event: Any) -> None:
    _rule(organizer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BASE).status_code == 200
        return len(queries)

    count()
    before = count()
    for n in range(4):
        _rule(organizer, name=f"rule {n}")
    assert count() == before


def test_contact_timeline_shows_runs_and_steps(
    client: Any, organizer: Any, make_contact: Any, crm_event: Any
) -> None:
    _rule(organizer, name="Tag newcomers")
    ann = make_contact("ann@example.org")
    automation.created_fire(contact=ann)
    detail = client.get(f"/control/organizer/example/contacts/{ann.pk}/").content.decode()
    assert f"/contacts/{ann.pk}/automation/" in detail
    page = client.get(f"/control/organizer/example/contacts/{ann.pk}/automation/").content.decode()
    assert "Tag newcomers" in page and "pending" in page


def test_templates_pages(client: Any, organizer: Any, crm_event: Any) -> None:
    response = client.post(
        BASE + "templates/add/", {"name": "Text", "channel": "sms", "subject": "", "body": "Hi {first_name}"}
    )
    assert response.status_code == 302
    assert "Text" in client.get(BASE + "templates/").content.decode()


def test_other_organizer_and_readers(
    client_for: Any, organizer: Any, other_organizer: Any, make_contact: Any, crm_event: Any
) -> None:
    rule = _rule(organizer)
    ann = make_contact("ann@example.org")
    outsider = client_for(other_organizer.member)
    for url in (
        BASE,
        BASE + "add/",
        BASE + f"{rule.pk}/",
        BASE + "templates/",
        BASE + "sms/",
        BASE + "inbound/",
        f"/control/organizer/example/contacts/{ann.pk}/automation/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(BASE + f"{rule.pk}/pause/").status_code == 404
    from eventyay.base.models import User

    reader = User.objects.create_user("reader@example.org", "a long enough password")
    with scope(organizer=organizer):
        team = organizer.teams.create(name="Readers", permissions=["organizer.campaigns:read"])
        team.members.add(reader)
    client = client_for(reader)
    assert client.get(BASE).status_code == 200
    assert client.post(BASE + f"{rule.pk}/pause/").status_code == 403
    with scope(organizer=organizer):
        assert AutomationRule.objects.get(pk=rule.pk).status == "active"
