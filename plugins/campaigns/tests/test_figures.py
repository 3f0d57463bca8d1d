"""The figures table: kept by the facts as they happen, equal to a recount of the rows."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from eventyay_campaigns.models import Campaign, CampaignFigure, Contact, Message
from eventyay_campaigns.services import campaigns as services
from eventyay_campaigns.services import tracking
from eventyay_campaigns.services.analytics import campaign_report
from eventyay_campaigns.services.attribution import order_attribute, order_attribution_cancel
from eventyay_campaigns.services.figures import (
    figures_backfill,
    figures_reconcile,
    figures_recount,
    figures_stored,
)
from eventyay_campaigns.services.sending import campaign_batch_send

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SCANNER = "Mozilla/5.0 (compatible; Barracuda Sentinel)"
SPRING = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring"}


def _order(code: str, total: str, touch: dict[str, str]) -> Any:
    return SimpleNamespace(
        code=code, total=Decimal(total), email="buyer@example.org", utm={"first": touch, "last": touch}
    )


def _click(message: Message, user_agent: str) -> None:
    token = tracking.click_url(message, "https://example.org/").rsplit("/c/", 1)[1].strip("/")
    tracking.click_record(token, user_agent=user_agent)


@pytest.fixture
def sent_campaign(organizer: Any, monkeypatch: pytest.MonkeyPatch) -> Campaign:
    monkeypatch.setattr(services, "_enqueue_batch", lambda campaign_id: None)
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(organizer=organizer, email=f"c{n}@example.org", marketing_consent=True) for n in range(6)
        )
        campaign = services.campaign_save(
            organizer=organizer,
            data={"name": "Spring", "subject": "Hi", "body": "[site](https://example.org/)", **SPRING},
        )
        services.campaign_start(campaign=campaign)
    result = campaign_batch_send(campaign_id=campaign.pk)
    assert result.sent == 6
    with scopes_disabled():
        # Past the seconds after sending in which a click is taken for a scanner's.
        Message.objects.filter(campaign=campaign).update(sent_at=timezone.now() - dt.timedelta(minutes=5))
        return Campaign.objects.get(pk=campaign.pk)


def test_figures_equal_a_recount_after_a_mixed_sequence(
    organizer: Any, crm_event: Any, sent_campaign: Campaign
) -> None:
    with scopes_disabled():
        first, second, third, fourth, fifth, _sixth = Message.objects.filter(campaign=sent_campaign)
    with scopes_disabled():
        for message in (first, second, third):
            Message.objects.filter(pk=message.pk).update(provider_id=f"<{message.pk}@example.org>")
    for message in (first, second):
        tracking.esp_event_record(event_type="delivered", message_id=f"<{message.pk}@example.org>")
    bounce = f"<{third.pk}@example.org>"
    tracking.esp_event_record(event_type="bounced", message_id=bounce)
    tracking.esp_event_record(event_type="bounced", message_id=bounce)  # replayed
    _click(first, BROWSER)
    _click(first, BROWSER)
    _click(first, SCANNER)
    _click(second, SCANNER)
    _click(fourth, BROWSER)
    assert tracking.message_unsubscribe(fifth)
    assert not tracking.message_unsubscribe(fifth)
    with scope(organizer=organizer):
        order_attribute(event=crm_event, order=_order("PAID1", "40.00", SPRING))
        order_attribute(event=crm_event, order=_order("PAID2", "99.00", SPRING))
        order_attribute(event=crm_event, order=_order("FREE1", "0.00", SPRING))
        order_attribution_cancel(event=crm_event, order=_order("PAID2", "99.00", SPRING))

    ids = [sent_campaign.pk]
    assert figures_stored(ids) == figures_recount(ids)
    assert figures_reconcile(campaign_ids=ids) == []
    with scope(organizer=organizer):
        report = campaign_report(organizer=organizer)
    counts = report.totals.counts
    assert {key: counts[key] for key in ("sent", "delivered", "bounced", "unsubscribed")} == {
        "sent": 6,
        "delivered": 2,
        "bounced": 1,
        "unsubscribed": 1,
    }
    # Scanner clicks count nowhere; the person who clicked twice counts once as unique.
    assert (counts["clicks"], counts["unique_clicks"]) == (3, 2)
    assert (counts["orders_first_touch"], counts["orders_last_touch"]) == (1, 1)
    assert report.totals.amounts["revenue_first_touch"] == Decimal("40.00")
    assert counts["registrations_last_touch"] == 1 and report.currencies == [crm_event.currency]
    # The campaigns list reads the same table.
    with scope(organizer=organizer):
        listed = services.campaign_figures([sent_campaign])[sent_campaign.pk]
    assert (listed["sent"], listed["clicks"], listed["bounced"], listed["unsubscribed"]) == (6, 2, 1, 1)


def test_reconcile_logs_and_corrects_drift(
    organizer: Any, sent_campaign: Campaign, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [sent_campaign.pk]
    with scopes_disabled():
        CampaignFigure.objects.filter(campaign=sent_campaign, kind="sent").update(n=2)
    with pytest.raises(CommandError):
        call_command("campaigns_figures_reconcile", "--check", "--campaign", str(sent_campaign.pk))
    assert figures_stored(ids) != figures_recount(ids)  # --check changes nothing
    with caplog.at_level(logging.WARNING, logger="eventyay_campaigns.services.figures"):
        call_command("campaigns_figures_reconcile", "--campaign", str(sent_campaign.pk))
    assert "stored (2" in caplog.text and "counted (6" in caplog.text
    assert figures_stored(ids) == figures_recount(ids)
    with pytest.raises(CommandError, match="--campaign"):
        call_command("campaigns_figures_reconcile", "--campaign", "0")


def test_backfill_writes_the_recount_into_an_empty_table(sent_campaign: Campaign) -> None:
    """What the migration that added the table does with the history before it."""
    ids = [sent_campaign.pk]
    expected = figures_recount(ids)
    assert expected and figures_stored(ids) == expected
    with scopes_disabled():
        CampaignFigure.objects.all().delete()
    assert figures_backfill() == len(expected)
    assert figures_stored(ids) == expected
