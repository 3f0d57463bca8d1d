"""Invoices, tickets and answer files are private: unguessable names, no /media/ URL, served only
to whoever may see them; a file answer may only name an upload of the same cart."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_scopes import scope, scopes_disabled

from eventyay.base.storage import private_storage, unguessable_name

from .backoffice import member_with, place_order

pytestmark = pytest.mark.django_db

CONTROL = "/control/event/example/shop/tickets/"
API = "/api/v1/organizers/example/events/shop"


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def paid_order(catalogue: Any, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return place_order(catalogue)


@pytest.fixture
def file_question(catalogue: Any) -> Any:
    from eventyay_tickets.models import Question

    with scope(organizer=catalogue.event.organizer):
        question = Question.objects.create(
            event=catalogue.event, question={"en": "Student ID"}, type=Question.Type.FILE, required=True
        )
        question.products.set([catalogue.ticket])
    return question


def _invoice(order: Any) -> Any:
    from eventyay_tickets.models import Invoice

    with scopes_disabled():
        return Invoice.objects.select_related("event").get(order=order)


def test_invoice_is_private_with_an_unguessable_name(client, paid_order):
    invoice = _invoice(paid_order)
    name = invoice.file.name
    assert name.startswith("tickets/invoices/") and name.endswith(".pdf")
    assert invoice.full_number not in name and "shop" not in name
    assert private_storage.exists(name) and not default_storage.exists(name)
    assert client.get(f"/media/{name}").status_code == 404


def test_attendee_gets_invoice_and_ticket_at_the_order_link_only(client, paid_order):
    invoice = _invoice(paid_order)
    base = f"/example/shop/tickets/order/{paid_order.code}"
    response = client.get(f"{base}/{paid_order.secret}/invoice/{invoice.pk}/")
    assert response.status_code == 200
    assert _content(response).startswith(b"%PDF")
    assert f"shop-{invoice.full_number}.pdf" in response["Content-Disposition"]
    ticket = client.get(f"{base}/{paid_order.secret}/ticket/1/")
    assert ticket.status_code == 200 and _content(ticket).startswith(b"%PDF")
    assert client.get(f"{base}/wrong-secret/invoice/{invoice.pk}/").status_code == 404


def test_control_and_api_serve_invoices_to_the_organizer_only(
    client_for, user, api_client, other_organizer, paid_order
):
    invoice = _invoice(paid_order)
    url = f"{CONTROL}orders/{paid_order.code}/invoices/{invoice.pk}/"
    response = client_for(user).get(url)
    assert response.status_code == 200 and _content(response).startswith(b"%PDF")
    assert client_for(other_organizer.member).get(url).status_code == 404
    download = api_client.get(f"{API}/invoices/{invoice.pk}/download/")
    assert download.status_code == 200 and _content(download).startswith(b"%PDF")


@override_settings(PRIVATE_X_ACCEL=True)
def test_downloads_hand_off_to_nginx_when_configured(client_for, user, paid_order):
    invoice = _invoice(paid_order)
    response = client_for(user).get(f"{CONTROL}orders/{paid_order.code}/invoices/{invoice.pk}/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_private/{invoice.file.name}"
    assert response.content == b""


def _checkout(catalogue: Any, cart_id: str, answer: dict[str, Any]) -> Any:
    from eventyay_tickets.services import order_place_from_cart
    from eventyay_tickets.services.cart import cart_add

    with scope(organizer=catalogue.event.organizer):
        cart_add(event=catalogue.event, cart_id=cart_id, items=[{"product": catalogue.ticket.pk, "count": 1}])
        return order_place_from_cart(
            event=catalogue.event,
            cart_id=cart_id,
            email="buyer@example.org",
            attendees=[
                {
                    "attendee_name": "Ada",
                    "answers": [{"question": catalogue.question.pk, "answer": "ACME"}, answer],
                }
            ],
            payment_provider="banktransfer",
        )


def test_a_cart_upload_becomes_the_answer_file_served_to_the_organizer(
    client, client_for, user, organizer, other_organizer, catalogue, file_question
):
    from eventyay_tickets.services.validation import cart_upload_save

    upload = SimpleUploadedFile("student id.png", b"\x89PNG id card", content_type="image/png")
    stored = cart_upload_save(event=catalogue.event, cart_id="cart-a", upload=upload)
    assert stored.startswith("tickets/uploads/") and "student" not in stored
    order = _checkout(
        catalogue, "cart-a", {"question": file_question.pk, "answer": stored, "file_name": "student id.png"}
    )
    with scope(organizer=catalogue.event.organizer):
        answer = order.positions.get().answers.get(question=file_question)
    assert answer.file.name == stored and answer.answer == "student id.png"
    assert client.get(f"/media/{stored}").status_code == 404
    url = f"{CONTROL}orders/{order.code}/positions/1/answers/{answer.pk}/file/"
    response = client_for(user).get(url)
    assert response.status_code == 200
    assert _content(response) == b"\x89PNG id card"
    assert 'filename="student id.png"' in response["Content-Disposition"]
    assert client_for(other_organizer.member).get(url).status_code == 404
    lacking = member_with(organizer, "lacking@example.org", ["event.settings:read"])
    assert client_for(lacking).get(url).status_code == 403
    detail = client_for(user).get(f"{CONTROL}orders/{order.code}/").content.decode()
    assert url in detail


def test_a_file_answer_naming_another_carts_upload_or_any_stored_file_is_refused(
    catalogue, paid_order, file_question
):
    from eventyay_tickets.services import OrderError
    from eventyay_tickets.services.validation import cart_upload_save

    foreign_upload = cart_upload_save(
        event=catalogue.event, cart_id="cart-b", upload=SimpleUploadedFile("a.pdf", b"%PDF other")
    )
    for name in (
        foreign_upload,
        _invoice(paid_order).file.name,
        "tickets/uploads/../invoices/x.pdf",
        f"{foreign_upload.rsplit('/', 1)[0]}/../../x.pdf",
    ):
        with pytest.raises(OrderError) as raised:
            _checkout(catalogue, "cart-c", {"question": file_question.pk, "answer": name})
        assert "Upload the file again." in str(raised.value.detail["positions"][0]["answers"])


def test_api_refuses_a_file_answer_that_names_a_stored_file(api_client, catalogue, paid_order, file_question):
    body = {
        "email": "buyer@example.org",
        "payment_provider": "banktransfer",
        "positions": [
            {
                "product": catalogue.ticket.pk,
                "attendee_name": "Ada",
                "answers": [
                    {"question": catalogue.question.pk, "answer": "ACME"},
                    {"question": file_question.pk, "answer": _invoice(paid_order).file.name},
                ],
            }
        ],
    }
    response = api_client.post(f"{API}/orders/", body, format="json")
    assert response.status_code == 400
    assert "Upload the file again." in str(response.json()["positions"][0]["answers"])


def test_the_migration_moves_existing_files_to_private_storage(
    catalogue, paid_order, file_question, django_capture_on_commit_callbacks
):
    from eventyay_tickets.models import Invoice, QuestionAnswer

    from eventyay.base.models import OutgoingMail

    migration = importlib.import_module("eventyay_tickets.migrations.0006_private_files")
    invoice = _invoice(paid_order)
    old_invoice = default_storage.save(
        f"tickets/invoices/shop-{invoice.full_number}.pdf", ContentFile(b"%PDF 1")
    )
    old_answer = default_storage.save("tickets/answers/abc/passport.png", ContentFile(b"png"))
    old_ticket = default_storage.save(unguessable_name("tickets/tickets/1", "t.pdf"), ContentFile(b"%PDF t"))
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(file=old_invoice)
        position = paid_order.positions.get()
        answer = QuestionAnswer.objects.create(
            position=position, question=file_question, answer="passport.png", file=old_answer
        )
        mail = OutgoingMail.objects.create(
            to=["buyer@example.org"],
            subject="Your order",
            body_text="…",
            attachments=[
                {"name": "invoice.pdf", "path": old_invoice, "mimetype": "application/pdf"},
                {"name": "ticket.pdf", "path": old_ticket, "mimetype": "application/pdf"},
            ],
        )
    with django_capture_on_commit_callbacks(execute=True):
        migration.files_to_private(apps, None)
    with scopes_disabled():
        invoice.refresh_from_db()
        answer.refresh_from_db()
        mail.refresh_from_db()
    assert invoice.file.name.startswith("tickets/invoices/") and invoice.full_number not in invoice.file.name
    assert answer.file.name.startswith("tickets/answers/") and "passport" not in answer.file.name
    assert private_storage.open(invoice.file.name).read() == b"%PDF 1"
    assert private_storage.open(answer.file.name).read() == b"png"
    assert private_storage.open(old_ticket).read() == b"%PDF t"
    for old in (old_invoice, old_answer, old_ticket):
        assert not default_storage.exists(old)
    assert [a["path"] for a in mail.attachments] == [invoice.file.name, old_ticket]

    with django_capture_on_commit_callbacks(execute=True):
        migration.files_to_public(apps, None)
    assert default_storage.open(invoice.file.name).read() == b"%PDF 1"
    assert not private_storage.exists(invoice.file.name)
    for name in (invoice.file.name, answer.file.name, old_ticket):
        default_storage.delete(name)
