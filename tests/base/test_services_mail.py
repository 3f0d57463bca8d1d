from datetime import timedelta
from email.utils import getaddresses

import pytest
from django.core import mail
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail
from eventyay.base.services.mail import (
    MAIL_LEASE,
    mail_context,
    mail_queue,
    mail_send,
    render_mail_template,
)
from eventyay.base.services.outbox import claim_due
from eventyay.base.tasks import outbox_retry_due


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db(transaction=True)
def test_queued_mail_is_sent_after_commit_only(event):
    with transaction.atomic():
        mail_queue(event=event, to=["a@example.org"], subject="Hi", body="Hello")
        assert mail.outbox == []
    assert [m.subject for m in mail.outbox] == ["Hi"]
    with scopes_disabled():
        assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_mail_of_a_rolled_back_change_is_never_sent(event):
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_queue(event=event, to=["a@example.org"], subject="Hi", body="Hello")
        raise RuntimeError("the change failed")
    assert mail.outbox == []
    with scopes_disabled():
        assert not OutgoingMail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_delivery_key_makes_queueing_idempotent(event):
    for _ in range(3):
        mail_queue(event=event, to=["a@example.org"], subject="Once", body="x", delivery_key="order-1-placed")
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_failed_sending_is_retried_later(event, monkeypatch):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    queued = mail_queue(event=event, to=["a@example.org"], subject="Later", body="x")
    with scopes_disabled():
        row = OutgoingMail.objects.get(pk=queued.pk)
    assert row.status == OutgoingMail.Status.QUEUED
    assert row.next_attempt is not None
    assert "smtp down" in row.error
    monkeypatch.undo()
    assert mail_send(mail_id=row.pk) is False, "not due before the retry time"
    with scopes_disabled():
        OutgoingMail.objects.filter(pk=row.pk).update(next_attempt=timezone.now())
    outbox_retry_due()
    assert [m.subject for m in mail.outbox] == ["Later"]


@pytest.mark.django_db
def test_mail_templates_fill_core_placeholders_and_keep_unknown_ones(event):
    context = mail_context(event=event)
    text = render_mail_template("Welcome to {event} by {organizer}: {event_url} {unknown}", context)
    assert text == "Welcome to Conference conf by Example Org: http://127.0.0.1:8000/example/conf/ {unknown}"


@pytest.mark.django_db
def test_sweep_sends_a_mail_whose_task_never_ran(event):
    # Outside a committed transaction the on_commit task never runs, as if the broker lost it.
    queued = mail_queue(event=event, to=["a@example.org"], subject="Lost task", body="x")
    assert mail.outbox == []
    outbox_retry_due()
    assert [m.subject for m in mail.outbox] == ["Lost task"]
    with scopes_disabled():
        assert OutgoingMail.objects.get(pk=queued.pk).status == OutgoingMail.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_sender_name_with_a_comma_stays_one_address(make_event, settings):
    event = make_event(slug="pycon", name={"en": "PyCon DE, Berlin"})
    mail_queue(event=event, to=["a@example.org"], subject="Hi", body="x")
    (sent,) = mail.outbox
    assert getaddresses([sent.from_email]) == [("PyCon DE, Berlin", settings.MAIL_FROM)]
    # What the SMTP backend does with the sender; it refused the unquoted name.
    assert sanitize_address(sent.from_email, "utf-8") == f'"PyCon DE, Berlin" <{settings.MAIL_FROM}>'


@pytest.mark.django_db
def test_a_redelivered_task_does_not_send_a_mail_another_worker_is_sending(event):
    queued = mail_queue(event=event, to=["a@example.org"], subject="Once", body="x")
    with scopes_disabled():
        (held,) = claim_due(OutgoingMail.objects.filter(pk=queued.pk), lease=MAIL_LEASE, status="sending")
    assert mail_send(mail_id=held.pk) is False
    outbox_retry_due()
    assert mail.outbox == []


@pytest.mark.django_db
def test_sweep_recovers_a_mail_whose_worker_died_while_sending(event):
    queued = mail_queue(event=event, to=["a@example.org"], subject="Recovered", body="x")
    long_ago = timezone.now() - MAIL_LEASE - timedelta(seconds=1)
    with scopes_disabled():
        OutgoingMail.objects.filter(pk=queued.pk).update(next_attempt=long_ago)
        # A worker claimed it long ago and died before it could send.
        held = claim_due(
            OutgoingMail.objects.filter(pk=queued.pk),
            lease=MAIL_LEASE,
            now=long_ago,
            status="sending",
            attempts=F("attempts") + 1,
        )
    assert [row.status for row in held] == [OutgoingMail.Status.SENDING]
    outbox_retry_due()
    outbox_retry_due()
    assert [m.subject for m in mail.outbox] == ["Recovered"]
    with scopes_disabled():
        row = OutgoingMail.objects.get(pk=queued.pk)
    assert (row.status, row.attempts, row.next_attempt) == (OutgoingMail.Status.SENT, 2, None)
