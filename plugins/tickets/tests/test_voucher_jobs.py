"""Creating many vouchers runs as a job: the form queues it, the job page shows progress and the result."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Job

from .backoffice import member_with

pytestmark = pytest.mark.django_db

BULK = "/control/event/example/shop/tickets/vouchers/bulk/"


def bulk_form(catalogue, **overrides):
    return {
        "count": "3",
        "code_prefix": "VIP",
        "max_usages": "2",
        "valid_until": "2031-01-01T12:00",
        "product": str(catalogue.ticket.pk),
        "price_mode": "percent",
        "value": "25",
        "tag": "sponsors",
        **overrides,
    }


def test_many_vouchers_are_created_by_a_job_in_one_go(
    client_for, user, catalogue, django_capture_on_commit_callbacks
):
    from eventyay_tickets.models import Voucher

    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BULK, bulk_form(catalogue))
    assert response.status_code == 302
    assert response["Location"].startswith("/control/event/example/shop/jobs/")
    page = client.get(response["Location"]).content.decode()
    assert "3 vouchers have been created." in page
    assert 'href="/control/event/example/shop/tickets/vouchers/"' in page
    with scope(organizer=catalogue.event.organizer):
        vouchers = list(Voucher.objects.filter(code__startswith="VIP"))
    assert len(vouchers) == 3 and len({v.code for v in vouchers}) == 3
    assert all(
        v.product_id == catalogue.ticket.pk
        and v.max_usages == 2
        and v.value == Decimal("25.00")
        and v.tag == "sponsors"
        and v.valid_until is not None
        for v in vouchers
    )


def test_a_queued_bulk_creation_shows_a_progress_bar(client_for, user, catalogue):
    client = client_for(user)
    response = client.post(BULK, bulk_form(catalogue))
    page = client.get(response["Location"]).content.decode()
    assert "Create many vouchers" in page and 'role="progressbar"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


def test_progress_is_reported_after_each_batch_in_one_transaction(scoped, monkeypatch):
    from eventyay_tickets.services import catalogue as catalogue_services

    monkeypatch.setattr(catalogue_services, "VOUCHER_BATCH_SIZE", 2)
    seen: list[int] = []
    rows = [{"code": f"C{i}", "max_usages": 1} for i in range(5)]
    created = catalogue_services.vouchers_create(event=scoped, rows=rows, progress=seen.append)
    assert len(created) == 5
    assert seen == [40, 80, 99]


def test_a_duplicate_code_creates_none_of_the_batch(catalogue, scoped):
    from eventyay_tickets.models import Voucher
    from eventyay_tickets.services import vouchers_create
    from eventyay_tickets.services.errors import OrderError

    with pytest.raises(OrderError):
        vouchers_create(event=scoped, rows=[{"code": "NEW1"}, {"code": "HALF"}])
    assert not Voucher.objects.filter(code="NEW1").exists()


def test_bad_input_is_a_form_error_and_queues_nothing(client_for, user, catalogue):
    response = client_for(user).post(BULK, bulk_form(catalogue, count="0"))
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    with scopes_disabled():
        assert not Job.objects.exists()


def test_another_organizers_member_can_neither_start_nor_see_the_job(
    client_for, user, catalogue, other_organizer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(BULK, bulk_form(catalogue))
    outsider = client_for(other_organizer.member)
    assert outsider.post(BULK, bulk_form(catalogue)).status_code == 404
    assert outsider.get(response["Location"]).status_code == 404


def test_a_member_who_may_only_read_cannot_start_it(client_for, catalogue):
    reader = member_with(catalogue.event.organizer, "reader@example.org", ["event.orders:read"])
    assert client_for(reader).post(BULK, bulk_form(catalogue)).status_code == 403
    with scopes_disabled():
        assert not Job.objects.exists()
