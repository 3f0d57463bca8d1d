"""Back-office pages in words: order history, provider names, provider settings, the dashboard box."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from .backoffice import place_order

pytestmark = pytest.mark.django_db

BASE = "/control/event/example/shop/tickets/"
DASHBOARD = "/control/event/example/shop/"


def test_order_history_reads_as_sentences_with_provider_names(
    client_for, user, catalogue, django_capture_on_commit_callbacks
):
    client = client_for(user)
    # The history is written once the order's change is committed.
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(catalogue, paid=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(BASE + f"orders/{order.code}/action/mark_paid/", {"send_email": ""})
    html = client.get(BASE + f"orders/{order.code}/").content.decode()
    assert "Order placed" in html
    assert "Marked as paid by member@example.org" in html
    assert "eventyay_tickets.order." not in html
    payments = html[html.index('id="payment-') :]
    assert "Bank transfer" in payments.split("</tr>")[0]
    assert "<td>banktransfer</td>" not in html


def test_event_log_has_no_raw_action_names(client_for, user, catalogue):
    place_order(catalogue)
    html = client_for(user).get(DASHBOARD + "log/").content.decode()
    assert "Event created" in html
    assert not re.search(r"eventyay(_tickets)?\.[a-z_]+\.[a-z_]+", html)


def _post_bank(client, **fields):
    data = {"provider": "banktransfer", "banktransfer-enabled": "on"}
    data.update({f"banktransfer-{key}": value for key, value in fields.items()})
    return client.post(BASE + "settings/payment/", data)


def _stored(event) -> dict:
    """The provider's settings as stored, read from a fresh copy of the event."""
    from eventyay.base.models import Event

    with scope(organizer=event.organizer):
        return Event.objects.get(pk=event.pk).settings.get("tickets_payment_banktransfer") or {}


def _field_error(html: str, field: str) -> str:
    """The markup of the form row of ``field``: its input and the errors right below it."""
    start = html.index(f'id="id_banktransfer-{field}"')
    return html[start : html.index('<div class="mb-3', start)]


def test_bank_transfer_needs_holder_and_valid_iban(client_for, user, catalogue):
    client = client_for(user)
    response = _post_bank(client, iban="")
    assert response.status_code == 200
    html = response.content.decode()
    assert "needs an account holder" in _field_error(html, "account_holder")
    assert "needs an IBAN" in _field_error(html, "iban")

    html = _post_bank(client, account_holder="Example Org", iban="DE00 1234", bic="NOTABIC").content.decode()
    assert "not a valid IBAN" in _field_error(html, "iban")
    assert "not a valid BIC" in _field_error(html, "bic")
    assert not _stored(catalogue.event).get("account_holder")

    response = _post_bank(client, account_holder="Example Org", iban="de89370400440532013000", bic="")
    assert response.status_code == 302
    stored = _stored(catalogue.event)
    assert stored["iban"] == "DE89 3704 0044 0532 0130 00"
    assert stored["enabled"] is True


def test_bank_transfer_rule_holds_outside_the_form(catalogue):
    from eventyay_tickets.selectors import payment_providers
    from eventyay_tickets.services.backoffice import payment_provider_settings_save

    with scope(organizer=catalogue.event.organizer):
        provider = payment_providers(catalogue.event)["banktransfer"]
        with pytest.raises(ValidationError) as error:
            payment_provider_settings_save(event=catalogue.event, provider=provider, values={"enabled": True})
        assert set(error.value.message_dict) == {"account_holder", "iban"}
        # Switched off, incomplete details may be stored (to be finished later).
        payment_provider_settings_save(
            event=catalogue.event, provider=provider, values={"enabled": False, "account_holder": "X"}
        )


def test_provider_products_are_picked_by_name(client_for, user, catalogue):
    from eventyay_tickets.selectors import payment_providers

    client = client_for(user)
    html = client.get(BASE + "settings/payment/").content.decode()
    assert 'type="checkbox" name="banktransfer-products"' in html
    assert ">Shirt</label>" in html
    assert "comma separated" not in html
    response = _post_bank(
        client, account_holder="Example Org", iban="DE89370400440532013000", products=str(catalogue.shirt.pk)
    )
    assert response.status_code == 302
    from eventyay.base.models import Event

    with scope(organizer=catalogue.event.organizer):
        provider = payment_providers(Event.objects.get(pk=catalogue.event.pk))["banktransfer"]
        assert provider.settings["products"] == [catalogue.shirt.pk]
        assert provider.is_allowed(total=20, product_ids=[catalogue.shirt.pk])
        assert not provider.is_allowed(total=100, product_ids=[catalogue.ticket.pk])
        # What older versions stored (comma-separated ids) is still read.
        provider.settings["products"] = f"{catalogue.ticket.pk}, {catalogue.shirt.pk}"
        assert provider.is_allowed(total=100, product_ids=[catalogue.ticket.pk])


def _dashboard_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_event_dashboard_shows_sales_in_constant_queries(client_for, user, catalogue):
    client = client_for(user)
    place_order(catalogue)
    client.get(DASHBOARD)
    few, html = _dashboard_queries(client)
    widget = html[html.index('id="widget-tickets"') :]
    assert re.search(r'data-figure="paid">\s*1<', widget)
    for index in range(5):
        place_order(catalogue, name=f"Person {index}", paid=index % 2 == 0)
    many, html = _dashboard_queries(client)
    assert many == few
    widget = html[html.index('id="widget-tickets"') :]
    assert re.search(r'data-figure="paid">\s*4<', widget)
    assert re.search(r'data-figure="pending">\s*2<', widget)
    assert "400.00" in widget


def test_dashboard_box_needs_the_orders_permission(client_for, catalogue, organizer):
    from .backoffice import member_with

    weak = member_with(organizer, "weak@example.org", [])
    html = client_for(weak).get(DASHBOARD).content.decode()
    assert 'id="widget-tickets"' not in html


def test_other_organizers_member_sees_none_of_it(client_for, catalogue, other_organizer):
    client = client_for(other_organizer.member)
    order = place_order(catalogue)
    for url in (DASHBOARD, BASE + "settings/payment/", BASE + f"orders/{order.code}/"):
        assert client.get(url).status_code == 404, url
    assert _post_bank(client, account_holder="X", iban="DE89370400440532013000").status_code == 404


NAME = "Zoë Ζωή Дмитриевна Łukasiewicz–Müller"


def test_ticket_and_invoice_print_accents_dashes_greek_and_cyrillic(
    catalogue, django_capture_on_commit_callbacks
):
    import io

    from eventyay_tickets.models import Invoice
    from eventyay_tickets.services.documents import invoice_pdf, ticket_pdf_for_position
    from pypdf import PdfReader

    def text(data: bytes) -> str:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(catalogue, name=NAME)
    with scope(organizer=catalogue.event.organizer):
        _name, ticket = ticket_pdf_for_position(order.positions.get())
        _name, invoice = invoice_pdf(Invoice.objects.get(order=order))
    assert NAME in text(ticket)
    assert NAME in text(invoice)
    assert b"DejaVuSans" in ticket and b"DejaVuSans" in invoice


SHOP = "/example/shop/tickets/"


def _questions_page(client, catalogue, data=None) -> str:
    client.post(
        SHOP + "cart/add/",
        {f"product_{catalogue.ticket.pk}": "1", f"variation_{catalogue.shirt.pk}_{catalogue.small.pk}": "1"},
    )
    response = client.post(SHOP + "checkout/", data) if data is not None else client.get(SHOP + "checkout/")
    assert response.status_code == 200
    return response.content.decode()


def test_checkout_asks_attendee_names_only_where_the_product_needs_them(client, catalogue):
    html = _questions_page(client, catalogue)
    # The ticket (admission) asks for its holder; the T-shirt asks nothing and shows no box.
    assert html.count('name="pos', 0) and 'name="pos0-attendee_name"' in html
    assert "pos1-attendee_name" not in html and "pos1-attendee_email" not in html
    assert html.count("<fieldset") == 2
    assert '<label class="form-label" for="id_pos0-attendee_name">' in html


def test_a_product_can_ask_for_the_name_when_configured(client, catalogue):
    with scope(organizer=catalogue.event.organizer):
        catalogue.shirt.attendee_name = "optional"
        catalogue.shirt.save()
    html = _questions_page(client, catalogue)
    assert 'name="pos1-attendee_name"' in html
    assert not re.search(r'name="pos1-attendee_name"[^>]*required', html)


def test_checkout_errors_sit_next_to_fields_and_the_first_gets_focus(client, catalogue):
    html = _questions_page(client, catalogue, {"email": "ada@example.org", "email_repeat": "ada@example.org"})
    name_input = re.search(r'<input[^>]*name="pos0-attendee_name"[^>]*>', html).group(0)
    assert "autofocus" in name_input and 'aria-invalid="true"' in name_input
    assert 'aria-describedby="id_pos0-attendee_name_error"' in name_input
    assert re.search(r'id="id_pos0-attendee_name_error">\s*<div>This field is required', html)
    assert html.count("autofocus") == 1


def test_the_product_form_offers_the_attendee_setting(client_for, user, catalogue):
    html = client_for(user).get(BASE + f"products/{catalogue.shirt.pk}/").content.decode()
    assert 'name="attendee_name"' in html
    assert "Required for admission products, not asked otherwise" in html


def test_bulk_voucher_form_is_a_long_action(client_for, user, catalogue):
    html = client_for(user).get(BASE + "vouchers/bulk/").content.decode()
    assert re.search(r'<form [^>]*data-long-action="Creating the vouchers…"', html)
