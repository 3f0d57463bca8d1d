"""What the back-office pages do: order search and actions, catalogue editing, check-in, settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from .backoffice import far_from_sold_out, make_checkin_list, place_order

pytestmark = pytest.mark.django_db

BASE = "/control/event/example/shop/tickets/"


def orders_list_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BASE + "orders/", params or {})
    assert response.status_code == 200
    return len(queries)


def test_orders_list_queries_do_not_grow_with_orders(client_for, user, catalogue):
    client = client_for(user)
    far_from_sold_out(catalogue)
    place_order(catalogue)
    client.get(BASE + "orders/")
    few = orders_list_queries(client)
    filtered_few = orders_list_queries(client, {"status": "paid", "product": catalogue.ticket.pk})
    for index in range(12):
        place_order(catalogue, name=f"Person {index}", paid=index % 2 == 0)
    assert orders_list_queries(client) == few
    assert orders_list_queries(client, {"status": "paid", "product": catalogue.ticket.pk}) == filtered_few


def test_orders_list_filters(client_for, user, catalogue):
    client = client_for(user)
    paid = place_order(catalogue, name="Ada Lovelace")
    pending = place_order(catalogue, name="Grace Hopper", paid=False)

    def codes(params):
        html = client.get(BASE + "orders/", params).content.decode()
        return {code for code in (paid.code, pending.code) if f">{code}<" in html}

    assert codes({}) == {paid.code, pending.code}
    assert codes({"status": "pending"}) == {pending.code}
    assert codes({"query": paid.code.lower()}) == {paid.code}
    assert codes({"query": "Grace"}) == {pending.code}
    assert codes({"email": "buyer@example.org"}) == {paid.code, pending.code}
    assert codes({"product": catalogue.shirt.pk}) == set()
    assert codes({"date_from": "2000-01-01", "date_to": "2000-01-02"}) == set()


def test_orders_list_pages_without_counting(client_for, user, catalogue, monkeypatch):
    from eventyay.control import pagination

    monkeypatch.setattr(pagination, "PAGE_SIZE", 2)
    for index in range(3):
        place_order(catalogue, name=f"P{index}")
    html = client_for(user).get(BASE + "orders/").content.decode()
    assert "page=2" in html
    last = client_for(user).get(BASE + "orders/", {"page": 2}).content.decode()
    assert "page=3" not in last and "page=1" in last


def test_order_detail_shows_positions_invoices_and_history(client_for, user, catalogue):
    order = place_order(catalogue, name="Ada Lovelace")
    html = client_for(user).get(BASE + f"orders/{order.code}/").content.decode()
    assert "Ada Lovelace" in html
    assert "Marked as paid" in html


def test_order_actions_call_the_services(client_for, user, catalogue):
    from eventyay_tickets.models import Invoice, Order

    client = client_for(user)
    order = place_order(catalogue, paid=False)
    url = BASE + f"orders/{order.code}/action/"
    response = client.post(url + "extend/", {"expires": "2029-12-31T12:00"})
    assert response.status_code == 302
    with scope(organizer=catalogue.event.organizer):
        assert Order.objects.get(pk=order.pk).expires.year == 2029
    client.post(url + "mark_paid/", {"send_email": "on"})
    client.post(url + "invoice_regenerate/")
    with scope(organizer=catalogue.event.organizer):
        assert Order.objects.get(pk=order.pk).status == "paid"
        invoice = Invoice.objects.get(order=order)
    client.post(BASE + f"orders/{order.code}/invoices/{invoice.pk}/cancel/")
    client.post(url + "cancel/", {"fee": "", "send_email": "on"})
    with scope(organizer=catalogue.event.organizer):
        assert Order.objects.get(pk=order.pk).status == "canceled"
        assert Invoice.objects.filter(order=order, is_cancellation=True).count() == 1


def test_a_refused_action_shows_a_message_not_an_error(client_for, user, catalogue):
    order = place_order(catalogue)
    client = client_for(user)
    response = client.post(
        BASE + f"orders/{order.code}/action/extend/", {"expires": "2029-12-31T12:00"}, follow=True
    )
    assert response.status_code == 200
    assert "Only pending or expired orders can be extended." in response.content.decode()
    assert client.post(BASE + f"orders/{order.code}/action/unknown/").status_code == 302


def test_ticket_and_invoice_downloads_are_pdfs(client_for, user, catalogue):
    from eventyay_tickets.services.invoices import invoice_create

    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        order.event = catalogue.event
        invoice = invoice_create(order=order)
    client = client_for(user)
    for url in (f"orders/{order.code}/tickets/1/", f"orders/{order.code}/invoices/{invoice.pk}/"):
        response = client.get(BASE + url)
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_products_variations_quotas_questions_and_vouchers_are_edited(
    client_for, user, catalogue, django_capture_on_commit_callbacks
):
    from eventyay_tickets.models import Product, ProductVariation, Question, Quota, Voucher

    client = client_for(user)
    response = client.post(
        BASE + "products/add/", {"name_0": "Workshop", "price": "15.00", "active": "on", "admission": "on"}
    )
    assert response.status_code == 302, response.content
    with scope(organizer=catalogue.event.organizer):
        workshop = Product.objects.get(name__icontains="Workshop")
    client.post(
        BASE + f"products/{workshop.pk}/variations/add/",
        {"variation-value_0": "Morning", "variation-active": "on"},
    )
    client.post(BASE + "quotas/add/", {"name": "Workshop seats", "size": "12", "products": [workshop.pk]})
    client.post(
        BASE + "questions/add/",
        {
            "question_0": "Diet",
            "type": "choice",
            "products": [workshop.pk],
            "options_text": "Vegan\nOmnivore",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            BASE + "vouchers/bulk/",
            {"count": "5", "code_prefix": "VIP", "max_usages": "1", "price_mode": "none", "value": "0"},
        )
    with scope(organizer=catalogue.event.organizer):
        assert ProductVariation.objects.get(product=workshop).value.localize("en") == "Morning"
        assert list(Quota.objects.get(name="Workshop seats").products.all()) == [workshop]
        diet = Question.objects.get(question__icontains="Diet")
        assert [str(o.answer) for o in diet.options.all()] == ["Vegan", "Omnivore"]
        assert Voucher.objects.filter(code__startswith="VIP").count() == 5


def test_invalid_input_shows_form_errors(client_for, user, catalogue):
    response = client_for(user).post(BASE + "products/add/", {"name_0": "", "price": "-3"})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    duplicate = client_for(user).post(
        BASE + "vouchers/add/", {"code": "HALF", "max_usages": "1", "price_mode": "none", "value": "0"}
    )
    assert "already exists" in duplicate.content.decode()


def test_deleting_a_sold_product_is_refused_with_a_message(client_for, user, catalogue):
    place_order(catalogue)
    response = client_for(user).post(BASE + f"products/{catalogue.ticket.pk}/", {"delete": "1"}, follow=True)
    assert "cannot be deleted" in response.content.decode()


def test_quota_page_shows_fill_level(client_for, user, catalogue):
    place_order(catalogue)
    html = client_for(user).get(BASE + "quotas/").content.decode()
    assert "1 / 20" in html and 'aria-valuenow="5"' in html


def test_web_checkin_without_javascript_and_with_htmx(client_for, user, catalogue):
    order = place_order(catalogue, name="Ada Lovelace")
    with scope(organizer=catalogue.event.organizer):
        checkin_list = make_checkin_list(catalogue)
        secret = order.positions.get().secret
    client = client_for(user)
    url = BASE + f"checkin/{checkin_list.pk}/scan/"
    page = client.post(url, {"secret": secret, "type": "entry"}).content.decode()
    assert 'data-checkin-status="ok"' in page and "Ada Lovelace" in page
    assert "<html" in page
    fragment = client.post(url, {"secret": secret, "type": "entry"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-checkin-status="already_redeemed"' in fragment
    assert "<html" not in fragment and 'hx-swap-oob="innerHTML"' in fragment
    counters = client.get(BASE + f"checkin/{checkin_list.pk}/counters/").content.decode()
    assert 'data-checkin-entered="1"' in counters


def test_checkin_lists_are_created_with_products(client_for, user, catalogue):
    from eventyay_tickets.models import CheckinList

    client_for(user).post(BASE + "checkin/add/", {"name": "Shirts desk", "products": [catalogue.shirt.pk]})
    with scope(organizer=catalogue.event.organizer):
        created = CheckinList.objects.get(name="Shirts desk")
        assert not created.all_products and list(created.products.all()) == [catalogue.shirt]


def test_payment_provider_and_document_settings_are_saved(client_for, user, catalogue):
    from eventyay_tickets.selectors import payment_providers

    client = client_for(user)
    response = client.post(
        BASE + "settings/payment/",
        {
            "provider": "banktransfer",
            "banktransfer-enabled": "on",
            "banktransfer-fee": "1.50",
            "banktransfer-label": "Wire",
            "banktransfer-account_holder": "Example Org",
            "banktransfer-iban": "DE89370400440532013000",
        },
    )
    assert response.status_code == 302
    client.post(
        BASE + "settings/documents/",
        {
            "tickets_invoice_generate": "placed",
            "tickets_invoice_numbering": "event",
            "tickets_invoice_prefix": "R-",
            "tickets_invoice_digits": "4",
            "tickets_invoice_address_from": "Example Org\nMain Street 1",
        },
    )
    with scope(organizer=catalogue.event.organizer):
        event = catalogue.event.__class__.objects.get(pk=catalogue.event.pk)
        provider = payment_providers(event)["banktransfer"]
        assert provider.fee(Decimal("10")) == Decimal("1.50")
        assert provider.public_name == "Wire"
        assert event.settings.get("tickets_invoice_prefix") == "R-"
        assert event.settings.get("tickets_invoice_generate") == "placed"


def test_dashboard_charts_sales_quotas_and_checkins(client_for, user, catalogue):
    place_order(catalogue)
    place_order(catalogue, paid=False)
    html = client_for(user).get(BASE + "sales/").content.decode()
    assert "<svg" in html and "<rect" in html
    assert "100.00" in html
    assert "Tickets" in html
