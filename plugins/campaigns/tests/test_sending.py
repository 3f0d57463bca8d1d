"""Sending campaign batches: rate, pause and resume, cancel, retries, skips and priority."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from email import message_from_string
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from eventyay_campaigns.channels import (
    ChannelError,
    EmailChannel,
    MessageChannel,
    RenderedMessage,
    channels_all,
)
from eventyay_campaigns.models import Campaign, Contact, Message
from eventyay_campaigns.services import campaigns as services
from eventyay_campaigns.services import sending, tracking
from eventyay_campaigns.services.sending import campaign_batch_send, campaigns_due
from eventyay_campaigns.tasks import campaigns_sweep

from eventyay.base.models import OutgoingMail
from eventyay.base.services.mail import mail_queue
from eventyay.base.services.outbox import claim_due
from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db


@pytest.fixture
def not_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches run only when a test calls them, not when a campaign starts."""
    monkeypatch.setattr(services, "_enqueue_batch", lambda campaign_id: None)


@pytest.fixture
def contacts(organizer: Any) -> Callable[[int], list[Contact]]:
    def factory(count: int) -> list[Contact]:
        with scope(organizer=organizer):
            return Contact.objects.bulk_create(
                Contact(
                    organizer=organizer,
                    email=f"c{n:03}@example.org",
                    first_name=f"C{n}",
                    marketing_consent=True,
                )
                for n in range(count)
            )

    return factory


@pytest.fixture
def started(
    organizer: Any, contacts: Callable[[int], list[Contact]], not_queued: None
) -> Callable[..., Campaign]:
    def factory(count: int = 10, **data: Any) -> Campaign:
        contacts(count)
        values = {
            "name": "Spring",
            "subject": "Hi {first_name}",
            "body": "Hello [site](https://example.org/)",
            **data,
        }
        with scope(organizer=organizer):
            campaign = services.campaign_save(organizer=organizer, data=values)
            return services.campaign_start(campaign=campaign)

    return factory


def while_sending(
    monkeypatch: pytest.MonkeyPatch,
    mailoutbox: list[Any],
    *,
    after: int,
    do: Callable[[], Any],
    transient_failure: str = "",
) -> None:
    """Run ``do`` (in the campaign's scope) when the channel is handed the message after the
    ``after``-th sent one, as if it happened while the worker sends its round; the channel
    refuses ``transient_failure`` for now."""
    original = EmailChannel.send

    def send(self: EmailChannel, message: Message, content: Any) -> str:
        if len(mailoutbox) == after:
            with scope(organizer=message.organizer):
                do()
        if message.recipient == transient_failure:
            raise ChannelError("try later", transient=True)
        return original(self, message, content)

    monkeypatch.setattr(EmailChannel, "send", send)


def statuses(campaign: Campaign) -> dict[str, int]:
    with scopes_disabled():
        rows = Message.objects.filter(campaign=campaign).values_list("status", flat=True)
        counts: dict[str, int] = {}
        for status in rows:
            counts[status] = counts.get(status, 0) + 1
        return counts


def refreshed(campaign: Campaign) -> Campaign:
    with scopes_disabled():
        return Campaign.objects.get(pk=campaign.pk)


@pytest.fixture
def file_mails(settings: Any, tmp_path: Path) -> Callable[[], list[Any]]:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")

    def read() -> list[Any]:
        mails = []
        for path in sorted((tmp_path / "mail").glob("*.log")):
            for chunk in path.read_text().split("-" * 79 + "\n"):
                if chunk.strip():
                    mails.append(message_from_string(chunk))
        return mails

    return read


def test_mails_land_in_the_mail_folder_with_one_click_unsubscribe_and_tracked_links(
    organizer, started, file_mails
):
    campaign = started(3, utm_source="newsletter")
    result = campaign_batch_send(campaign_id=campaign.pk)
    assert result.sent == 3
    mails = file_mails()
    assert sorted(m["To"] for m in mails) == ["c000@example.org", "c001@example.org", "c002@example.org"]
    first = mails[0]
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = first["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<http") and "/unsubscribe/" in unsubscribe
    assert first["From"] == '"Example Org" <eventyay@localhost>' or "Example Org" in first["From"]
    html = next(part for part in first.walk() if part.get_content_type() == "text/html").get_payload(
        decode=True
    )
    assert b"/c/" in html and b'href="https://example.org/"' not in html
    with scopes_disabled():
        message = Message.objects.get(recipient=first["To"])
    assert message.status == Message.Status.SENT and message.provider_id == first["Message-ID"]
    assert refreshed(campaign).status == Campaign.Status.SENT


def test_the_campaign_sender_is_the_from_address(organizer, started, mailoutbox):
    campaign = started(1, sender="News <news@example.org>")
    campaign_batch_send(campaign_id=campaign.pk)
    assert mailoutbox[0].from_email == "News <news@example.org>"


def test_the_organizers_rate_limits_a_batch_and_paces_the_next(organizer, started, mailoutbox):
    organizer.settings.set(sending.RATE_SETTING, 6)
    campaign = started(10)
    before = timezone.now()
    result = campaign_batch_send(campaign_id=campaign.pk)
    assert result.sent == 6
    assert result.next_batch is not None and result.next_batch >= before + dt.timedelta(seconds=59)
    # Not due yet: a second task for the same campaign (queued twice, or by the sweep) sends nothing.
    assert campaign_batch_send(campaign_id=campaign.pk).claimed_campaign is False
    assert campaign_batch_send(campaign_id=campaign.pk, now=result.next_batch).sent == 4
    assert len(mailoutbox) == 10


def test_two_campaigns_of_an_organizer_share_its_rate(organizer, started, mailoutbox):
    organizer.settings.set(sending.RATE_SETTING, 10)
    first = started(6)
    with scope(organizer=organizer):
        second = services.campaign_save(organizer=organizer, data={"name": "B", "subject": "B", "body": "B"})
        services.campaign_start(campaign=second)
    assert campaign_batch_send(campaign_id=first.pk).sent == 5
    assert campaign_batch_send(campaign_id=second.pk).sent == 5


def test_pause_stops_claiming_mid_campaign_and_resume_continues(organizer, started, mailoutbox, monkeypatch):
    monkeypatch.setattr(sending, "ROUND_SIZE", 5)
    campaign = started(30)
    original = EmailChannel.send
    while_sending(monkeypatch, mailoutbox, after=2, do=lambda: services.campaign_pause(campaign=campaign))
    result = campaign_batch_send(campaign_id=campaign.pk)
    # The round in flight finishes; no further round is claimed.
    assert result.sent == 5
    assert statuses(campaign) == {"sent": 5, "queued": 25}
    assert refreshed(campaign).status == Campaign.Status.PAUSED
    assert campaign_batch_send(campaign_id=campaign.pk).claimed_campaign is False
    assert campaigns_due() == []

    monkeypatch.setattr(EmailChannel, "send", original)
    with scope(organizer=organizer):
        services.campaign_resume(campaign=campaign)
    assert campaigns_due() == [campaign.pk]
    campaign_batch_send(campaign_id=campaign.pk)
    campaign_batch_send(campaign_id=campaign.pk, now=refreshed(campaign).next_batch)
    assert statuses(campaign) == {"sent": 30}
    assert refreshed(campaign).status == Campaign.Status.SENT
    assert len({m.to[0] for m in mailoutbox}) == len(mailoutbox) == 30


def test_cancel_marks_the_rest_canceled(organizer, started, mailoutbox, monkeypatch):
    monkeypatch.setattr(sending, "MAX_BATCH", 4)
    campaign = started(10)
    campaign_batch_send(campaign_id=campaign.pk)
    with scope(organizer=organizer):
        services.campaign_cancel(campaign=campaign)
    assert statuses(campaign) == {"sent": 4, "canceled": 6}
    assert campaign_batch_send(campaign_id=campaign.pk, now=timezone.now() + dt.timedelta(hours=1)).sent == 0
    assert len(mailoutbox) == 4


def test_transient_failures_are_retried_with_backoff_and_permanent_ones_fail(organizer, started, monkeypatch):
    campaign = started(2)

    def refuse(self: EmailChannel, message: Message, content: Any) -> str:
        raise ChannelError(
            "try later" if message.recipient == "c000@example.org" else "no such user",
            transient=message.recipient == "c000@example.org",
        )

    monkeypatch.setattr(EmailChannel, "send", refuse)
    before = timezone.now()
    result = campaign_batch_send(campaign_id=campaign.pk)
    assert (result.retried, result.failed) == (1, 1)
    with scopes_disabled():
        retried = Message.objects.get(recipient="c000@example.org")
        failed = Message.objects.get(recipient="c001@example.org")
    assert retried.status == Message.Status.QUEUED and retried.attempts == 1
    assert retried.next_attempt >= before + dt.timedelta(minutes=2)
    assert failed.status == Message.Status.FAILED and failed.error == "no such user"
    # Only the retry is left, so the next batch is due when the retry is.
    assert result.next_batch is not None and result.next_batch >= retried.next_attempt - dt.timedelta(
        seconds=1
    )

    monkeypatch.undo()
    later = retried.next_attempt + dt.timedelta(seconds=1)
    assert campaign_batch_send(campaign_id=campaign.pk, now=later).sent == 1
    campaign_batch_send(campaign_id=campaign.pk, now=later + dt.timedelta(minutes=1))
    assert refreshed(campaign).status == Campaign.Status.SENT


def test_consent_and_suppression_are_read_again_right_before_sending(organizer, started, mailoutbox):
    campaign = started(3)
    tracking.suppress(organizer, "email", "C000@example.org", "unsubscribed")
    with scope(organizer=organizer):
        Contact.objects.filter(email="c001@example.org").update(marketing_consent=False)
    result = campaign_batch_send(campaign_id=campaign.pk)
    assert (result.sent, result.skipped) == (1, 2)
    assert [m.to for m in mailoutbox] == [["c002@example.org"]]
    assert statuses(campaign) == {"skipped": 2, "sent": 1}


def test_a_batch_steps_aside_while_transactional_mail_is_waiting(organizer, started, mailoutbox, monkeypatch):
    campaign = started(3)
    # Queued but not yet sent: its task is on its way to a worker.
    monkeypatch.setattr("eventyay.base.tasks.send_mail.delay", lambda mail_id: None)
    mail = mail_queue(organizer=organizer, to=["buyer@example.org"], subject="Your order", body="x")
    result = campaign_batch_send(campaign_id=campaign.pk)
    assert result.sent == 0
    assert result.next_batch is not None and result.next_batch <= timezone.now() + sending.PRIORITY_PAUSE
    with scopes_disabled():
        OutgoingMail.objects.filter(pk=mail.pk).update(status=OutgoingMail.Status.SENT, next_attempt=None)
    assert campaign_batch_send(campaign_id=campaign.pk, now=result.next_batch).sent == 3


def test_the_sweep_recovers_a_batch_and_messages_whose_worker_died(organizer, started, mailoutbox):
    campaign = started(4)
    # A worker claimed the campaign and two messages, then died before sending them.
    with scopes_disabled():
        Campaign.objects.filter(pk=campaign.pk).update(next_batch=timezone.now() + sending.BATCH_LEASE)
        held = list(Message.objects.filter(campaign=campaign).order_by("pk")[:2].values_list("pk", flat=True))
        Message.objects.filter(pk__in=held).update(
            status=Message.Status.SENDING, attempts=1, next_attempt=timezone.now() + sending.MESSAGE_LEASE
        )
    campaigns_sweep()
    assert mailoutbox == []
    # Once the leases ran out, the sweep queues the batch (run eagerly here) and all four go.
    with scopes_disabled():
        Campaign.objects.filter(pk=campaign.pk).update(next_batch=timezone.now() - dt.timedelta(seconds=1))
        Message.objects.filter(pk__in=held).update(next_attempt=timezone.now() - dt.timedelta(seconds=1))
    assert campaigns_due() == [campaign.pk]
    campaigns_sweep()
    assert sorted(m.to[0] for m in mailoutbox) == [f"c00{n}@example.org" for n in range(4)]
    assert refreshed(campaign).status == Campaign.Status.SENT


@pytest.fixture
def eager_start(organizer: Any, contacts: Callable[[int], list[Contact]]) -> Iterator[Callable[[], Campaign]]:
    def start() -> Campaign:
        with scope(organizer=organizer):
            campaign = services.campaign_save(
                organizer=organizer, data={"name": "N", "subject": "S", "body": "B"}
            )
            return services.campaign_start(campaign=campaign)

    yield start


def test_in_the_embedded_mode_starting_sends_the_whole_campaign(
    organizer, contacts, eager_start, mailoutbox, django_capture_on_commit_callbacks
):
    organizer.settings.set(sending.RATE_SETTING, 5)
    contacts(12)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = eager_start()
    assert len(mailoutbox) == 12
    assert refreshed(campaign).status == Campaign.Status.SENT
    assert statuses(campaign) == {"sent": 12}


class PigeonChannel(MessageChannel):
    """A channel of another plugin that works addresses out itself (no plain column)."""

    identifier = "pigeon"
    label = "Carrier pigeon"
    has_subject = False
    sent: ClassVar[list[tuple[str, str]]] = []

    def address(self, contact: Contact) -> str:
        return f"loft:{contact.city}" if contact.city else ""

    def send(self, message: Message, content: RenderedMessage) -> str:
        PigeonChannel.sent.append((message.recipient, content.text))
        return f"pigeon-{message.pk}"


def test_a_plugin_channel_registered_through_the_hook_sends_the_campaign(organizer, make_contact, not_queued):
    make_contact("ann@example.org", first_name="Ann", city="Berlin", marketing_consent=True)
    make_contact("bob@example.org", first_name="Bob", marketing_consent=True)
    PigeonChannel.sent.clear()
    with register_temporarily("eventyay", register_message_channels=lambda: [PigeonChannel()]):
        assert set(channels_all()) >= {"email", "pigeon"}
        with scope(organizer=organizer):
            campaign = services.campaign_save(
                organizer=organizer, data={"name": "P", "channel": "pigeon", "body": "Coo, {first_name}!"}
            )
            started = services.campaign_start(campaign=campaign)
        assert started.recipients_total == 1
        assert campaign_batch_send(campaign_id=campaign.pk).sent == 1
    assert PigeonChannel.sent == [("loft:Berlin", "Coo, Ann!")]
    with scopes_disabled():
        assert Message.objects.get(campaign=campaign).provider_id.startswith("pigeon-")


def test_the_beat_schedule_runs_the_sweep():
    from django.conf import settings

    from eventyay.config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["eventyay-campaigns-sweep"]
    assert entry["task"] == campaigns_sweep.name and entry["task"] in app.tasks


def test_cancel_mid_round_leaves_nothing_sending(organizer, started, mailoutbox, monkeypatch):
    """The worker holding a round when the campaign is canceled sends nothing more of it."""
    monkeypatch.setattr(sending, "ROUND_SIZE", 5)
    campaign = started(10)
    while_sending(
        monkeypatch,
        mailoutbox,
        after=1,
        do=lambda: services.campaign_cancel(campaign=campaign),
        transient_failure="c001@example.org",
    )
    result = campaign_batch_send(campaign_id=campaign.pk)
    # The first was sent before the cancel; the second was in the channel when it came (its
    # retry is canceled); the rest of the round and the unclaimed rows are canceled.
    assert (result.sent, len(mailoutbox)) == (1, 1)
    assert statuses(campaign) == {"sent": 1, "canceled": 9}
    assert refreshed(campaign).status == Campaign.Status.CANCELED


def test_cancel_settles_the_messages_of_a_worker_that_died_holding_them(organizer, started, mailoutbox):
    campaign = started(4)
    with scopes_disabled():
        held = claim_due(
            Message.objects.filter(campaign=campaign),
            lease=sending.MESSAGE_LEASE,
            limit=2,
            status=Message.Status.SENDING,
        )
    assert len(held) == 2
    with scope(organizer=organizer):
        services.campaign_cancel(campaign=campaign)
    # Held under a running lease: left to the worker, which might still be sending them.
    assert statuses(campaign) == {"sending": 2, "canceled": 2}
    campaigns_sweep()
    assert statuses(campaign) == {"sending": 2, "canceled": 2}
    # The worker died: once the lease ran out, the sweep settles them.
    later = timezone.now() + sending.MESSAGE_LEASE + dt.timedelta(seconds=1)
    assert sending.canceled_leftovers_settle(now=later) == 2
    assert statuses(campaign) == {"canceled": 4}
    assert mailoutbox == []
