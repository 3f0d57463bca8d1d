"""Campaign services: writing drafts, rendering, freezing recipients and the state machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope
from eventyay_campaigns.channels import channel_get
from eventyay_campaigns.models import Campaign, Message
from eventyay_campaigns.services import campaigns as services
from eventyay_campaigns.services import tracking
from eventyay_campaigns.services.contacts import custom_field_save, segment_save
from eventyay_campaigns.services.rendering import campaign_render, markdown_html
from eventyay_campaigns.tasks import campaigns_sweep

pytestmark = pytest.mark.django_db

BODY = "Hello {first_name},\n\nsee [the programme](https://example.org/programme).\n"


@pytest.fixture
def draft(organizer: Any) -> Callable[..., Campaign]:
    def factory(**data: Any) -> Campaign:
        values = {"name": "Spring", "subject": "News for {first_name}", "body": BODY, **data}
        with scope(organizer=organizer):
            return services.campaign_save(organizer=organizer, data=values)

    return factory


@pytest.fixture
def audience(make_contact: Callable[..., Any]) -> dict[str, Any]:
    return {
        "ann": make_contact("ann@example.org", first_name="Ann", city="Berlin", marketing_consent=True),
        "bob": make_contact("bob@example.org", first_name="Bob", city="Berlin", marketing_consent=True),
        "cid": make_contact("cid@example.org", first_name="Cid", city="Berlin", marketing_consent=False),
        "dee": make_contact("dee@example.org", first_name="Dee", city="Paris", marketing_consent=True),
    }


def test_a_filter_is_validated_and_a_bad_one_names_its_field(organizer, draft):
    campaign = draft(filters={"city": "Berlin", "events_attended_min": "1"})
    assert campaign.filters == {"city": "Berlin", "events_attended_min": "1"}
    with pytest.raises(ValidationError) as caught:
        draft(filters={"events_attended_min": "many"})
    assert "filter.events_attended_min" in caught.value.message_dict


def test_missing_subject_unknown_channel_and_bad_sender_are_named(draft):
    with pytest.raises(ValidationError) as caught:
        draft(subject="", channel="pigeon", sender="not an address")
    assert {"channel", "sender"} <= set(caught.value.message_dict)


def test_another_organizers_segment_is_refused(draft, other_organizer):
    with scope(organizer=other_organizer):
        theirs = segment_save(organizer=other_organizer, name="Theirs", filters={})
    with pytest.raises(ValidationError) as caught:
        draft(segment=theirs.pk)
    assert "segment" in caught.value.message_dict


def test_placeholders_are_filled_and_escaped_in_html_and_plain_in_text(organizer, draft, make_contact):
    with scope(organizer=organizer):
        custom_field_save(organizer=organizer, key="team", label="Team", type="text", choices=[])
    contact = make_contact(
        "eve@example.org",
        first_name="<b>Eve</b>",
        company="A & B",
        custom_fields={"team": "Blue"},
    )
    campaign = draft(
        body="Hi {first_name} of {company} ({team}, {unknown}) at {organizer}\n\n<script>x()</script>"
    )
    with scope(organizer=organizer):
        rendered = campaign_render(campaign=campaign, contact=contact, channel=channel_get("email"))
    assert "Hi &lt;b&gt;Eve&lt;/b&gt; of A &amp; B (Blue, {unknown}) at Example Org" in rendered.html
    assert "<script>" not in rendered.html and "<b>Eve" not in rendered.html
    assert rendered.text.startswith("Hi <b>Eve</b> of A & B (Blue, {unknown}) at Example Org")
    assert rendered.subject == "News for <b>Eve</b>"


def test_markdown_becomes_html_without_active_content():
    html = markdown_html('**bold** [x](javascript:alert(1)) <a href="https://a.org" onclick="y()">a</a>', {})
    assert "<strong>bold</strong>" in html
    assert "javascript:" not in html and "onclick" not in html
    assert 'href="https://a.org"' in html


def test_starting_freezes_consenting_unsuppressed_matching_contacts(organizer, draft, audience):
    campaign = draft(filters={"city": "Berlin"})
    tracking.suppress(organizer, "email", "BOB@example.org", "manual")
    with scope(organizer=organizer):
        assert services.campaign_recipients_count(campaign) == 1
        with pytest.MonkeyPatch.context() as patch:
            # Keep the batch from running here: this test is about the frozen list.
            patch.setattr(services, "_enqueue_batch", lambda campaign_id: None)
            started = services.campaign_start(campaign=campaign)
        assert started.status == Campaign.Status.SENDING
        assert started.recipients_total == 1
        (message,) = Message.objects.filter(campaign=campaign)
    assert (message.recipient, message.contact_id, message.status) == (
        "ann@example.org",
        audience["ann"].pk,
        Message.Status.QUEUED,
    )
    assert message.next_attempt is not None


def test_a_segment_is_used_instead_of_the_filter(organizer, draft, audience):
    with scope(organizer=organizer):
        segment = segment_save(organizer=organizer, name="Paris", filters={"city": "Paris"})
    campaign = draft(segment=segment.pk, filters={"city": "Berlin"})
    with scope(organizer=organizer):
        assert [c.email for c in services.campaign_recipients(campaign)] == ["dee@example.org"]


def test_starting_twice_is_refused_and_only_drafts_are_edited(organizer, draft, audience, mailoutbox):
    campaign = draft(filters={"city": "Berlin"})
    with scope(organizer=organizer):
        services.campaign_start(campaign=campaign)
        with pytest.raises(ValidationError):
            services.campaign_start(campaign=campaign)
        with pytest.raises(ValidationError) as caught:
            services.campaign_save(organizer=organizer, campaign=campaign, data={"name": "Changed"})
        assert "status" in caught.value.message_dict
        assert Message.objects.filter(campaign=campaign).count() == 2


def test_scheduled_campaigns_are_started_by_the_sweep(organizer, draft, audience, mailoutbox):
    campaign = draft(filters={"city": "Berlin"})
    with scope(organizer=organizer):
        services.campaign_schedule(campaign=campaign, send_at=timezone.now() + dt.timedelta(hours=1))
        with pytest.raises(ValidationError):
            services.campaign_schedule(campaign=campaign, send_at=timezone.now() - dt.timedelta(hours=1))
    campaigns_sweep()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    with scope(organizer=organizer):
        Campaign.objects.filter(pk=campaign.pk).update(send_at=timezone.now() - dt.timedelta(seconds=1))
    campaigns_sweep()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert sorted(m.to[0] for m in mailoutbox) == ["ann@example.org", "bob@example.org"]


def test_a_scheduled_campaign_goes_back_to_draft_to_be_edited(organizer, draft):
    campaign = draft()
    with scope(organizer=organizer):
        services.campaign_schedule(campaign=campaign, send_at=timezone.now() + dt.timedelta(days=1))
        campaign = services.campaign_unschedule(campaign=campaign)
        campaign = services.campaign_save(organizer=organizer, campaign=campaign, data={"name": "Edited"})
    assert (campaign.status, campaign.name) == (Campaign.Status.DRAFT, "Edited")


def test_a_campaign_without_recipients_is_sent_at_once(organizer, draft):
    campaign = draft(filters={"city": "Nowhere"})
    with scope(organizer=organizer):
        started = services.campaign_start(campaign=campaign)
    assert (started.status, started.recipients_total) == (Campaign.Status.SENT, 0)


def test_freezing_writes_every_recipient_in_one_statement(organizer, draft, django_assert_max_num_queries):
    from eventyay_campaigns.models import Contact

    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(organizer=organizer, email=f"c{n}@example.org", marketing_consent=True)
            for n in range(500)
        )
    campaign = draft()
    with scope(organizer=organizer), pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "_enqueue_batch", lambda campaign_id: None)
        with django_assert_max_num_queries(12):
            started = services.campaign_start(campaign=campaign)
        assert started.recipients_total == 500
        assert Message.objects.filter(campaign=campaign, status="queued").count() == 500
