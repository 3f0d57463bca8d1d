"""Order mails carry the order's documents: the invoice PDF and one ticket PDF per attendee."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core import mail
from django_scopes import scope, scopes_disabled

from eventyay.base.models import OutgoingMail

from .backoffice import place_order
from .test_documents_pdf import pdf_text


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """Mark an order paid and run what it does after commit (as the live site would)."""
    from eventyay_tickets.services import order_mark_paid

    def pay(order) -> None:
        with django_capture_on_commit_callbacks(execute=True), scope(organizer=order.event.organizer):
            order_mark_paid(order=order)

    return pay


def paid_mail(code: str):
    return next(message for message in mail.outbox if message.subject.startswith("Payment received"))


def pdfs(message) -> dict[str, str]:
    return {
        name: pdf_text(data) for name, data, mimetype in message.attachments if mimetype == "application/pdf"
    }


@pytest.mark.django_db
def test_the_payment_mail_attaches_the_invoice_and_the_ticket_with_the_attendee_name(catalogue, pay):
    order = place_order(catalogue, name="Ada Lovelace", paid=False)
    mail.outbox.clear()
    pay(order)
    documents = pdfs(paid_mail(order.code))
    ticket = documents.pop(f"shop-{order.code}-1.pdf")
    assert "Ada Lovelace" in ticket and order.code in ticket
    [(invoice_name, invoice)] = documents.items()
    assert invoice_name.startswith("shop-") and "Invoice" in invoice and "Ada Lovelace" in invoice
    with scopes_disabled():
        assert order.invoices.count() == 1  # the mail and the document task share one invoice


@pytest.mark.django_db
def test_attachments_follow_the_event_settings(catalogue, pay):
    catalogue.event.settings.update({"tickets_mail_attach_tickets": False})
    order = place_order(catalogue, name="Ada Lovelace", paid=False)
    pay(order)
    names = [name for name, _data, _type in paid_mail(order.code).attachments]
    assert len(names) == 1 and f"-{order.code}-" not in names[0]  # the invoice only

    catalogue.event.settings.update({"tickets_mail_attach_invoice": False})
    mail.outbox.clear()
    second = place_order(catalogue, name="Grace Hopper", paid=False)
    pay(second)
    message = paid_mail(second.code)
    assert message.attachments == [] and second.code in message.body


@pytest.mark.django_db
def test_the_order_mail_attaches_the_invoice_when_invoices_are_issued_on_placement(
    catalogue, django_capture_on_commit_callbacks
):
    from eventyay_tickets.services import order_place

    from .conftest import ticket_position

    placed_subject = "Your order"
    with django_capture_on_commit_callbacks(execute=True):
        place_order(catalogue, paid=False)
    [without] = [m for m in mail.outbox if m.subject.startswith(placed_subject)]
    assert without.attachments == []

    catalogue.event.settings.update({"tickets_invoice_generate": "placed"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), scope(organizer=catalogue.event.organizer):
        order = order_place(
            event=catalogue.event,
            email="buyer@example.org",
            positions=[ticket_position(catalogue, attendee_name="Grace Hopper")],
            payment_provider="banktransfer",
        )
    [message] = [m for m in mail.outbox if m.subject.startswith(placed_subject)]
    [(name, text)] = pdfs(message).items()
    assert "Invoice" in text and "Grace Hopper" in text and order.code in text


@pytest.mark.django_db
def test_a_document_that_fails_to_render_leaves_the_mail_without_it(catalogue, pay, monkeypatch):
    from eventyay_tickets.services import documents

    def broken(position):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(documents, "ticket_pdf_render", broken)
    catalogue.event.settings.update({"tickets_mail_attach_invoice": False})
    order = place_order(catalogue, paid=False)
    pay(order)
    message = paid_mail(order.code)
    assert message.attachments == [] and order.code in message.body
    with scopes_disabled():
        order.refresh_from_db()
    assert order.status == "paid"


@pytest.mark.django_db
def test_the_payment_mail_is_noted_with_the_payment_and_retried_if_its_task_got_lost(catalogue, monkeypatch):
    import datetime as dt

    from django.utils import timezone
    from eventyay_tickets.models import Order
    from eventyay_tickets.services import order_mark_paid
    from eventyay_tickets.services.notifications import order_mails_awaiting_retry
    from eventyay_tickets.tasks_documents import order_mail_with_documents

    order = place_order(catalogue, name="Ada Lovelace", paid=False)
    with scope(organizer=catalogue.event.organizer):
        order_mark_paid(order=order)  # its after-commit work never runs: the task is lost
        noted = Order.objects.get(pk=order.pk)
        [entry] = noted.mails_awaiting_documents
        assert entry["template"] == "order_paid" and noted.mails_awaiting_since is not None
        assert order_mails_awaiting_retry(event=catalogue.event) == 0  # still within its grace time
        later = timezone.now() + dt.timedelta(minutes=11)
        queued = []
        monkeypatch.setattr(order_mail_with_documents, "delay", lambda *args: queued.append(args))
        assert order_mails_awaiting_retry(event=catalogue.event, now=later) == 1
        order_mail_with_documents.run(*queued[0])
        noted.refresh_from_db()
        assert noted.mails_awaiting_documents == [] and noted.mails_awaiting_since is None
        order_mail_with_documents.run(*queued[0])  # a late duplicate sends nothing more
    with scopes_disabled():
        [outgoing] = OutgoingMail.objects.filter(subject__startswith="Payment received")
    assert {a["name"] for a in outgoing.attachments} >= {f"shop-{order.code}-1.pdf"}


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.2)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_the_payment_mail_waits_for_its_documents(celery_worker_real, catalogue, pay):
    order = place_order(catalogue, name="Ada Lovelace", paid=False)
    pay(order)

    def sent() -> bool:
        with scopes_disabled():
            return OutgoingMail.objects.filter(
                subject__startswith="Payment received", status=OutgoingMail.Status.SENT
            ).exists()

    wait_for(sent)
    with scopes_disabled():
        outgoing = OutgoingMail.objects.get(subject__startswith="Payment received")
        assert order.invoices.count() == 1
    assert len(outgoing.attachments) == 2
    documents = pdfs(paid_mail(order.code))
    assert "Ada Lovelace" in documents[f"shop-{order.code}-1.pdf"]
