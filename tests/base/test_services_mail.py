import pytest
from django.core import mail
from django.db import transaction
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail
from eventyay.base.services.mail import mail_context, mail_queue, mail_send, render_mail_template
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
    assert mail_send(mail_id=row.pk) is True
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
