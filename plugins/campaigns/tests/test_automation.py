"""Automation rules: firing once per occurrence, conditions, delays, pausing, and each action."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scope
from eventyay_campaigns import hooks
from eventyay_campaigns.models import (
    AutomationRule,
    AutomationRun,
    AutomationStep,
    Contact,
    Message,
    MessageTemplate,
)
from eventyay_campaigns.services import automation, automation_run, sending
from eventyay_campaigns.services import contacts as contact_services

from eventyay.base.services.http import OutgoingResponse

from .conftest import fake_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_commit_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's transaction never commits: run what waits for the commit right away."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def rule_for(organizer: Any) -> Any:
    def factory(trigger: str, actions: list[dict[str, Any]], **data: Any) -> AutomationRule:
        with scope(organizer=organizer):
            return automation.rule_save(
                organizer=organizer, data={"name": trigger, "trigger": trigger, **data}, actions=actions
            )

    return factory


@pytest.fixture
def welcome(organizer: Any) -> MessageTemplate:
    with scope(organizer=organizer):
        return automation.template_save(
            organizer=organizer,
            data={
                "name": "Welcome",
                "channel": "email",
                "subject": "Hi {first_name}",
                "body": "Welcome **{first_name}**",
            },
        )


def _runs(organizer: Any, **filters: Any) -> list[AutomationRun]:
    with scope(organizer=organizer):
        return list(AutomationRun.objects.filter(**filters).prefetch_related("steps"))


def _tags(organizer: Any, contact: Contact) -> set[str]:
    with scope(organizer=organizer):
        return {t.name for t in Contact.objects.get(pk=contact.pk).tags.all()}


def test_a_replayed_trigger_runs_once(
    organizer: Any, make_contact: Any, rule_for: Any, crm_event: Any
) -> None:
    rule_for("order_placed", [{"kind": "add_tag", "tag": "buyer"}])
    ann = make_contact("ann@example.org")
    order = fake_order("ABC12", "ann@example.org", ("", "", 1))
    for _ in range(2):
        hooks.order_placed(crm_event, order)
    runs = _runs(organizer, contact=ann)
    assert len(runs) == 1 and runs[0].occurrence == "order:ABC12"
    assert [s.status for s in runs[0].steps.all()] == ["done"]
    assert _tags(organizer, ann) == {"buyer"}


def test_conditions_use_the_contact_filter(organizer: Any, make_contact: Any, rule_for: Any) -> None:
    rule_for("contact_created", [{"kind": "add_tag", "tag": "berliner"}], conditions={"city": "Berlin"})
    ann = make_contact("ann@example.org", city="berlin")
    bob = make_contact("bob@example.org", city="Paris")
    assert _tags(organizer, ann) == {"berliner"}
    assert _tags(organizer, bob) == set()
    assert _runs(organizer, contact=bob) == []


def test_bad_rule_input_names_the_field(organizer: Any, welcome: Any, other_organizer: Any) -> None:
    with scope(organizer=other_organizer):
        foreign = automation.template_save(organizer=other_organizer, data={"name": "x", "body": "x"})
    with scope(organizer=organizer), pytest.raises(ValidationError) as caught:
        automation.rule_save(
            organizer=organizer,
            data={
                "name": "r",
                "trigger": "nope",
                "conditions": {"events_attended_min": "many", "colour": "red"},
            },
            actions=[
                {"kind": "send_message", "template": foreign.pk},
                {"kind": "webhook", "webhook_url": "ftp://example.org/"},
                {"kind": "add_tag", "delay_minutes": -1},
            ],
        )
    assert set(caught.value.message_dict) == {
        "trigger",
        "conditions.events_attended_min",
        "conditions.colour",
        "actions.0.template",
        "actions.1.webhook_url",
        "actions.2.delay_minutes",
    }


def test_delayed_steps_wait_for_the_beat(organizer: Any, make_contact: Any, rule_for: Any) -> None:
    rule_for("contact_created", [{"kind": "add_tag", "tag": "later", "delay_minutes": 60}])
    ann = make_contact("ann@example.org")
    (step,) = _runs(organizer, contact=ann)[0].steps.all()
    assert step.status == "pending"
    assert automation_run.steps_run_due() == 0
    assert automation_run.steps_run_due(now=timezone.now() + dt.timedelta(minutes=61)) == 1
    assert _tags(organizer, ann) == {"later"}
    with scope(organizer=organizer):
        assert AutomationStep.objects.get(pk=step.pk).status == "done"


def test_pausing_a_rule_cancels_its_pending_steps(organizer: Any, make_contact: Any, rule_for: Any) -> None:
    rule = rule_for("contact_created", [{"kind": "add_tag", "tag": "later", "delay_minutes": 5}])
    ann = make_contact("ann@example.org")
    with scope(organizer=organizer):
        assert automation.rule_pause(rule=rule) == 1
    assert automation_run.steps_run_due(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert _tags(organizer, ann) == set()
    (step,) = _runs(organizer, contact=ann)[0].steps.all()
    assert step.status == "canceled"
    # A paused rule does not fire either; resumed, it fires for what happens next.
    make_contact("bob@example.org")
    assert len(_runs(organizer)) == 1
    with scope(organizer=organizer):
        automation.rule_resume(rule=rule)
    make_contact("cid@example.org")
    assert len(_runs(organizer)) == 2


def test_send_email_action_mails_consenting_contacts(
    organizer: Any, make_contact: Any, rule_for: Any, welcome: Any
) -> None:
    rule_for("contact_tagged", [{"kind": "send_message", "template": welcome.pk}], tag="VIP")
    mail.outbox.clear()
    ann = make_contact("ann@example.org", first_name="Ann", marketing_consent=True, tags=["vip"])
    bob = make_contact("bob@example.org", first_name="Bob", tags=["vip"])
    make_contact("cid@example.org", marketing_consent=True, tags=["other"])
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    sent = mail.outbox[0]
    assert sent.subject == "Hi Ann"
    assert "<strong>Ann</strong>" in sent.alternatives[0][0]
    assert "List-Unsubscribe" in sent.extra_headers
    with scope(organizer=organizer):
        message = Message.objects.get(contact=ann)
        assert message.status == "sent" and message.automation_step is not None and message.campaign is None
        assert not Message.objects.filter(contact=bob).exists()
    (step,) = _runs(organizer, contact=bob)[0].steps.all()
    assert step.status == "canceled" and "agreed" in step.detail


def test_automation_messages_keep_to_the_organizers_rate(
    organizer: Any, other_organizer: Any, make_contact: Any, rule_for: Any, welcome: Any
) -> None:
    organizer.settings.set(sending.RATE_SETTING, 2)
    rule_for("contact_tagged", [{"kind": "send_message", "template": welcome.pk}], tag="VIP")
    mail.outbox.clear()
    for name in ("ann", "bob", "cid"):
        make_contact(f"{name}@example.org", marketing_consent=True, tags=["vip"])
    # Two a minute: the third waits, queued, and the beat finds no room for it either.
    assert len(mail.outbox) == 2
    assert automation_run.messages_send_due() == 0 and len(mail.outbox) == 2
    assert automation_run.rate_room(organizer=organizer) == 0
    assert automation_run.rate_room(organizer=other_organizer) == sending.DEFAULT_RATE
    with scope(organizer=organizer):
        assert Message.objects.filter(status="queued").count() == 1
        # A minute later the window is free again.
        Message.objects.filter(status="sent").update(sent_at=timezone.now() - dt.timedelta(minutes=2))
    assert automation_run.messages_send_due() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "bob@example.org", "cid@example.org"]


def test_sms_action_uses_the_console_backend(
    organizer: Any, make_contact: Any, rule_for: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    with scope(organizer=organizer):
        template = automation.template_save(
            organizer=organizer, data={"name": "Text", "channel": "sms", "body": "See you, {first_name}!"}
        )
        contact = make_contact("ann@example.org", first_name="Ann", phone="+4915112345678")
        contact.sms_consent = True
        contact.save()
    rule_for("contact_tagged", [{"kind": "send_message", "template": template.pk}])
    with scope(organizer=organizer):
        automation.contact_tag_add(contact=contact, name="texted")
        message = Message.objects.get(contact=contact)
    assert message.status == "sent" and message.provider_id == f"console-{message.pk}"
    record = json.loads((tmp_path / "sms" / f"console-{message.pk}.json").read_text())
    assert record["to"] == "+4915112345678" and record["text"] == "See you, Ann!"


def test_webhook_action_posts_and_retries(
    organizer: Any, make_contact: Any, rule_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    answers = [500, 204]

    def recorded(method: str, url: str, **kwargs: Any) -> OutgoingResponse:
        calls.append({"method": method, "url": url, **kwargs})
        return OutgoingResponse(status=answers.pop(0), headers={}, body=b"", truncated=False, url=url)

    monkeypatch.setattr(automation_run.http, "outgoing_request", recorded)
    rule_for("contact_created", [{"kind": "webhook", "webhook_url": "https://hooks.example.org/in"}])
    ann = make_contact("ann@example.org", first_name="Ann")
    (step,) = _runs(organizer, contact=ann)[0].steps.all()
    assert step.status == "pending" and step.attempts == 1 and "500" in step.detail
    assert calls[0]["url"] == "https://hooks.example.org/in"
    assert calls[0]["json"]["contact"]["email"] == "ann@example.org"
    assert calls[0]["json"]["trigger"] == "contact_created"
    assert automation_run.steps_run_due(now=timezone.now() + dt.timedelta(minutes=3)) == 1
    (step,) = _runs(organizer, contact=ann)[0].steps.all()
    assert step.status == "done" and step.detail == "HTTP 204"


def test_event_start_rules_fire_once_for_registered_contacts(
    organizer: Any, make_contact: Any, make_event: Any, rule_for: Any
) -> None:
    now = timezone.now()
    soon = make_event(slug="soon", plugins=["campaigns"], date_from=now + dt.timedelta(minutes=30))
    make_event(slug="later", plugins=["campaigns"], date_from=now + dt.timedelta(days=3))
    rule = rule_for("event_start", [{"kind": "add_tag", "tag": "reminded"}], offset_minutes=-60)
    ann = make_contact("ann@example.org")
    bob = make_contact("bob@example.org")
    with scope(organizer=organizer):
        AutomationRule.objects.filter(pk=rule.pk).update(created=now - dt.timedelta(hours=2))
        contact_services.history_record(contact=ann, event=soon, kind="registered", source="order:A")
    assert automation.event_starts_fire(now=now) == 1
    assert automation.event_starts_fire(now=now) == 0
    assert _tags(organizer, ann) == {"reminded"} and _tags(organizer, bob) == set()
    assert _runs(organizer, contact=ann)[0].occurrence == f"event:{soon.pk}"


def test_event_start_rules_do_not_fire_for_moments_before_they_existed(
    organizer: Any, make_contact: Any, make_event: Any, rule_for: Any
) -> None:
    now = timezone.now()
    past = make_event(slug="past", plugins=["campaigns"], date_from=now - dt.timedelta(hours=1))
    ann = make_contact("ann@example.org")
    with scope(organizer=organizer):
        contact_services.history_record(contact=ann, event=past, kind="registered", source="order:A")
    rule_for("event_start", [{"kind": "add_tag", "tag": "x"}])
    assert automation.event_starts_fire(now=now) == 0


def test_talk_accepted_and_checked_in_hooks(
    organizer: Any, make_contact: Any, rule_for: Any, crm_event: Any
) -> None:
    rule_for("talk_accepted", [{"kind": "add_tag", "tag": "speaker"}], event=crm_event)
    rule_for("checked_in", [{"kind": "add_tag", "tag": "came"}])
    ann = make_contact("ann@example.org")
    speaker = SimpleNamespace(email="ANN@example.org", fullname="Ann")
    submission = SimpleNamespace(
        event=crm_event, code="TALK1", speakers=SimpleNamespace(all=lambda: [speaker])
    )
    hooks.submission_state_changed(submission, "submitted", "rejected")
    assert _tags(organizer, ann) == set()
    hooks.submission_state_changed(submission, "submitted", "accepted")
    order = SimpleNamespace(code="ORD1", email="ann@example.org")
    position = SimpleNamespace(pk=7, attendee_email="", order=order)
    hooks.checkin_created(crm_event, SimpleNamespace(type="exit", position=position))
    assert _tags(organizer, ann) == {"speaker"}
    hooks.checkin_created(crm_event, SimpleNamespace(type="entry", position=position))
    hooks.checkin_created(crm_event, SimpleNamespace(type="entry", position=position))
    assert _tags(organizer, ann) == {"speaker", "came"}
    assert sorted(r.occurrence for r in _runs(organizer, contact=ann)) == [
        "submission:TALK1",
        f"ticket:{crm_event.pk}:7",
    ]


def test_rules_of_one_event_ignore_the_others(
    organizer: Any, make_contact: Any, make_event: Any, rule_for: Any, crm_event: Any
) -> None:
    other = make_event(slug="other", plugins=["campaigns"])
    rule_for("order_paid", [{"kind": "add_tag", "tag": "paid"}], event=crm_event)
    ann = make_contact("ann@example.org")
    hooks.order_paid(other, fake_order("X1", "ann@example.org", status="paid"))
    assert _tags(organizer, ann) == set()
    hooks.order_paid(crm_event, fake_order("X2", "ann@example.org", status="paid"))
    assert _tags(organizer, ann) == {"paid"}


def test_tag_chains_fire_once_per_tag(organizer: Any, make_contact: Any, rule_for: Any) -> None:
    # A rule that re-adds the tag it reacts to must not loop.
    rule_for(
        "contact_tagged",
        [{"kind": "remove_tag", "tag": "ping"}, {"kind": "add_tag", "tag": "ping"}],
        tag="ping",
    )
    ann = make_contact("ann@example.org", tags=["ping"])
    assert len(_runs(organizer, contact=ann)) == 1
    assert _tags(organizer, ann) == {"ping"}


def test_a_campaign_link_click_fires_once_per_message(
    organizer: Any, make_contact: Any, rule_for: Any
) -> None:
    from eventyay_campaigns.services import tracking

    rule_for("link_clicked", [{"kind": "add_tag", "tag": "clicked"}])
    ann = make_contact("ann@example.org")
    with scope(organizer=organizer):
        message = Message.objects.create(
            organizer=organizer,
            contact=ann,
            recipient=ann.email,
            status="sent",
            sent_at=timezone.now() - dt.timedelta(hours=1),
        )
        token = tracking.click_url(message, "https://example.org/talks").rstrip("/").rsplit("/", 1)[-1]
    browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    for _ in range(2):
        assert tracking.click_record(token, user_agent=browser).startswith("https://example.org/talks")
    assert _tags(organizer, ann) == {"clicked"}
    (run,) = _runs(organizer, contact=ann)
    assert run.occurrence == f"click:{message.pk}" and run.data["url"] == "https://example.org/talks"
