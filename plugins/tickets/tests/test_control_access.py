"""Every back-office page: the right user gets it, other organizers 404, missing permission 403."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope

from .backoffice import make_checkin_list, member_with, place_order

pytestmark = pytest.mark.django_db

BASE = "/control/event/example/shop/tickets/"

#: (path, the permission the page needs)
PAGES = [
    ("sales/", "event.orders:read"),
    ("orders/", "event.orders:read"),
    ("orders/{code}/", "event.orders:read"),
    ("orders/{code}/invoices/{invoice}/", "event.orders:read"),
    ("orders/{code}/tickets/1/", "event.orders:read"),
    ("products/", "event.orders:read"),
    ("products/add/", "event.orders:read"),
    ("products/{product}/", "event.orders:read"),
    ("products/{product}/variations/add/", "event.orders:read"),
    ("products/{shirt}/variations/{variation}/", "event.orders:read"),
    ("quotas/", "event.orders:read"),
    ("quotas/add/", "event.orders:read"),
    ("quotas/{quota}/", "event.orders:read"),
    ("vouchers/", "event.orders:read"),
    ("vouchers/add/", "event.orders:read"),
    ("vouchers/bulk/", "event.orders:read"),
    ("vouchers/{voucher}/", "event.orders:read"),
    ("questions/", "event.orders:read"),
    ("questions/add/", "event.orders:read"),
    ("questions/{question}/", "event.orders:read"),
    ("checkin/", "event.orders:read"),
    ("checkin/add/", "event.orders:read"),
    ("checkin/{list}/", "event.orders:read"),
    ("checkin/{list}/scan/", "event.checkin:write"),
    ("checkin/{list}/counters/", "event.orders:read"),
    ("settings/payment/", "event.items:write"),
    ("settings/documents/", "event.items:write"),
    ("settings/emails/", "event.items:write"),
]


@pytest.fixture
def objects(catalogue: Any) -> dict[str, Any]:
    from eventyay_tickets.services.invoices import invoice_create

    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        order.event = catalogue.event
        invoice = invoice_create(order=order)
        checkin_list = make_checkin_list(catalogue)
    return {
        "code": order.code,
        "invoice": invoice.pk,
        "product": catalogue.ticket.pk,
        "shirt": catalogue.shirt.pk,
        "variation": catalogue.small.pk,
        "quota": catalogue.quota.pk,
        "voucher": catalogue.voucher.pk,
        "question": catalogue.question.pk,
        "list": checkin_list.pk,
    }


@pytest.mark.parametrize(("path", "permission"), PAGES)
def test_page_access(client, client_for, user, organizer, other_organizer, objects, path, permission):
    url = BASE + path.format(**objects)
    assert client_for(user).get(url).status_code == 200
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert client_for(other_organizer.member).get(url).status_code == 404
    lacking = member_with(organizer, "lacking@example.org", ["event.settings:read"])
    assert client_for(lacking).get(url).status_code == 403
    holder = member_with(organizer, "holder@example.org", [permission])
    assert client_for(holder).get(url).status_code == 200


def test_reading_does_not_allow_writing(client_for, organizer, objects):
    reader = member_with(organizer, "reader@example.org", ["event.orders:read"])
    client = client_for(reader)
    assert client.post(BASE + "products/add/", {"name_0": "Nope", "price": "1"}).status_code == 403
    assert client.post(BASE + f"orders/{objects['code']}/action/resend/").status_code == 403


def test_navigation_lists_only_pages_the_user_may_open(client_for, user, organizer, catalogue):
    full = client_for(user).get(BASE + "sales/").content.decode()
    assert BASE + "orders/" in full and BASE + "settings/payment/" in full
    reader = member_with(organizer, "reader@example.org", ["event.orders:read"])
    limited = client_for(reader).get(BASE + "orders/").content.decode()
    assert BASE + "orders/" in limited
    assert BASE + "settings/payment/" not in limited
