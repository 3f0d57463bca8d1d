"""Quota and voucher counters: every transition keeps them equal to a recount from the rows."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from eventyay_tickets.models import CartPosition, Order, Quota, Voucher
from eventyay_tickets.services import (
    OrderError,
    cart_add,
    cart_expired_cleanup,
    cart_remove,
    catalogue_save,
    new_cart_id,
    order_accept_over_quota,
    order_approve,
    order_cancel,
    order_deny,
    order_expire,
    order_extend,
    order_mark_paid,
    order_place,
    order_place_from_cart,
    order_reactivate,
    payment_confirm,
)
from eventyay_tickets.services.quotas import quota_links, quota_usage_from_rows, voucher_usage_from_rows

from eventyay.base.models import LogEntry

from .conftest import ticket_position

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizers/example/events/shop"


def counters(event: Any) -> dict[str, dict[int, int]]:
    return {
        "quotas": dict(Quota.objects.filter(event=event).values_list("pk", "used")),
        "vouchers": dict(Voucher.objects.filter(event=event).values_list("pk", "redeemed")),
    }


def recounted(event: Any) -> dict[str, dict[int, int]]:
    usage = quota_usage_from_rows(event, quota_links(event))
    redeemed = voucher_usage_from_rows(event)
    return {
        "quotas": {
            pk: usage.get(pk, 0) for pk in Quota.objects.filter(event=event).values_list("pk", flat=True)
        },
        "vouchers": {
            pk: redeemed.get(pk, 0) for pk in Voucher.objects.filter(event=event).values_list("pk", flat=True)
        },
    }


def place(catalogue: Any, *positions: dict[str, Any], **kwargs: Any) -> Order:
    kwargs.setdefault("payment_provider", "banktransfer")
    return order_place(
        event=catalogue.event,
        email="buyer@example.org",
        positions=list(positions) or [ticket_position(catalogue)],
        send_email=False,
        **kwargs,
    )


def overdue(order: Order) -> Order:
    Order.objects.filter(pk=order.pk).update(expires=timezone.now() - dt.timedelta(minutes=1))
    order.refresh_from_db()
    return order


def test_every_transition_keeps_the_counters_equal_to_the_rows(catalogue, scoped):
    event = catalogue.event
    steps: list[str] = []

    def check(step: str) -> None:
        steps.append(step)
        assert counters(event) == recounted(event), f"counter drift after: {step}"

    shirt = {"product": catalogue.shirt.pk, "variation": catalogue.small.pk}
    check("start")
    order = place(catalogue, ticket_position(catalogue, voucher="HALF"), ticket_position(catalogue), shirt)
    assert Quota.objects.get(pk=catalogue.quota.pk).used == 2
    check("order placed (quota, variation quota, voucher)")

    cart = new_cart_id()
    cart_add(event=event, cart_id=cart, items=[{"product": catalogue.ticket.pk, "count": 2}])
    check("cart reserved")
    cart_add(
        event=event,
        cart_id=cart,
        items=[{"product": catalogue.shirt.pk, "variation": catalogue.large.pk, "count": 1}],
    )
    check("cart extended")
    cart_remove(event=event, cart_id=cart, position_id=CartPosition.objects.filter(cart_id=cart).first().pk)
    check("cart position removed")
    CartPosition.objects.filter(cart_id=cart).update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert cart_expired_cleanup(event=event) == 2
    check("cart expired")
    cart = new_cart_id()
    cart_add(
        event=event, cart_id=cart, items=[{"product": catalogue.ticket.pk, "count": 1}], voucher_code="HALF"
    )
    check("cart with voucher")
    from_cart = order_place_from_cart(
        event=event,
        cart_id=cart,
        email="cart@example.org",
        attendees=[{"answers": [{"question": catalogue.question.pk, "answer": "x"}]}],
        payment_provider="banktransfer",
    )
    assert not CartPosition.objects.filter(cart_id=cart).exists()
    check("cart turned into an order")
    other_cart = new_cart_id()
    cart_add(event=event, cart_id=other_cart, items=[{"product": catalogue.ticket.pk, "count": 1}])
    cart_remove(event=event, cart_id=other_cart)
    check("cart emptied")

    order_expire(order=overdue(order))
    assert order.status == "expired"
    check("order expired")
    order_extend(order=order, expires=timezone.now() + dt.timedelta(days=2))
    assert order.status == "pending"
    check("expired order extended")
    order_expire(order=overdue(order))
    check("order expired again")
    order_mark_paid(order=order)
    assert order.status == "paid"
    check("expired order paid within quota")
    order_cancel(order=order)
    check("paid order canceled with refund")
    from_cart_payment = from_cart.payments.get()
    order_cancel(order=from_cart)
    check("pending order canceled")
    order_reactivate(order=from_cart)
    assert from_cart.status == "pending"
    check("order reactivated")
    payment_confirm(payment=from_cart_payment)
    check("payment confirmed")

    # A quota full to the last place: a late payment is recorded over quota, then accepted.
    late = place(catalogue)
    order_expire(order=overdue(late))
    check("late order expired")
    quota = Quota.objects.get(pk=catalogue.quota.pk)
    catalogue_save(event=event, model=Quota, instance=quota, data={"size": quota.used})
    check("quota made smaller")
    order_mark_paid(order=late)
    assert late.paid_over_quota and late.status == "expired"
    check("payment over quota recorded")
    order_accept_over_quota(order=late)
    assert late.status == "paid"
    check("payment accepted over quota")
    with pytest.raises(OrderError):
        place(catalogue)
    check("sale refused")
    order_cancel(order=late)
    check("order accepted over quota canceled")

    catalogue.voucher.allow_ignore_quota = True
    catalogue.voucher.max_usages = 10
    catalogue.voucher.save()
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=Quota.objects.get(pk=catalogue.quota.pk).used)
    bypass = place(catalogue, ticket_position(catalogue, voucher="HALF"))
    check("voucher ignoring the quota")
    order_cancel(order=bypass)
    check("voucher order canceled")

    catalogue.ticket.require_approval = True
    catalogue.ticket.save()
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=100)
    waiting, denied = place(catalogue), place(catalogue)
    check("orders waiting for approval")
    order_approve(order=waiting)
    check("order approved")
    order_deny(order=denied)
    check("order denied")

    catalogue_save(
        event=event,
        model=Quota,
        instance=Quota.objects.get(pk=catalogue.shirts.pk),
        data={"products": [catalogue.shirt, catalogue.ticket], "variations": [catalogue.small]},
    )
    check("quota links changed")
    assert len(steps) == 29


def test_a_quota_cannot_be_made_smaller_than_its_places_taken(api_client, catalogue):
    with scope(organizer=catalogue.event.organizer):
        place(catalogue, ticket_position(catalogue), ticket_position(catalogue))
    response = api_client.patch(f"{BASE}/quotas/{catalogue.quota.pk}/", {"size": 1}, format="json")
    assert response.status_code == 400
    assert "size" in response.json()
    response = api_client.patch(f"{BASE}/quotas/{catalogue.quota.pk}/", {"size": 2}, format="json")
    assert response.status_code == 200
    with scopes_disabled():
        assert Quota.objects.get(pk=catalogue.quota.pk).used == 2
    available = api_client.get(f"{BASE}/quotas/{catalogue.quota.pk}/availability/").json()
    assert available == {"size": 2, "used": 2, "available_number": 0, "available": False, "closed": False}


def test_a_stale_instance_never_overwrites_the_counter(catalogue, scoped):
    stale = Quota.objects.get(pk=catalogue.quota.pk)
    place(catalogue)
    stale.name = "Renamed"
    stale.save()
    assert Quota.objects.get(pk=catalogue.quota.pk).used == 1


def test_an_expired_cart_never_blocks_a_sale(catalogue, scoped):
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=1)
    cart = new_cart_id()
    cart_add(event=catalogue.event, cart_id=cart, items=[{"product": catalogue.ticket.pk, "count": 1}])
    with pytest.raises(OrderError):
        place(catalogue)
    CartPosition.objects.filter(cart_id=cart).update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert place(catalogue).status == "pending"
    assert not CartPosition.objects.filter(cart_id=cart).exists()
    assert Quota.objects.get(pk=catalogue.quota.pk).used == 1


def test_reconciliation_corrects_injected_drift_and_reports_it(catalogue, scoped, caplog):
    from eventyay_tickets.tasks import reconcile_capacity

    place(catalogue, ticket_position(catalogue, voucher="HALF"), ticket_position(catalogue))
    Quota.objects.filter(pk=catalogue.quota.pk).update(used=7)
    Voucher.objects.filter(pk=catalogue.voucher.pk).update(redeemed=0)
    with caplog.at_level(logging.ERROR, logger="eventyay_tickets.services.quotas"):
        reconcile_capacity()
    assert Quota.objects.get(pk=catalogue.quota.pk).used == 2
    assert Voucher.objects.get(pk=catalogue.voucher.pk).redeemed == 1
    assert any(
        "drifted" in record.getMessage() for record in caplog.records if record.levelno == logging.ERROR
    )
    entry = LogEntry.objects.get(action_type="eventyay_tickets.capacity.drift_corrected")
    assert entry.data["quotas"] == {str(catalogue.quota.pk): {"counter": 7, "recounted": 2}}
    assert entry.data["vouchers"] == {str(catalogue.voucher.pk): {"counter": 0, "recounted": 1}}
    caplog.clear()
    reconcile_capacity()
    assert LogEntry.objects.filter(action_type="eventyay_tickets.capacity.drift_corrected").count() == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_selling_out_and_freeing_a_place_change_the_public_content_version(
    catalogue, scoped, django_capture_on_commit_callbacks
):
    from eventyay_tickets.page_cache import BADGE_LEFT_MAX

    from eventyay.base.services.cache import content_version

    # Far from the end, where no "N left" badge is shown: a sale changes nothing a page shows.
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=BADGE_LEFT_MAX + 2)
    start = content_version(catalogue.event)
    with django_capture_on_commit_callbacks(execute=True):
        first = place(catalogue)
    assert content_version(catalogue.event) == start, "places far from the end: nothing shown changed"
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=2)
    with django_capture_on_commit_callbacks(execute=True):
        place(catalogue)
    sold_out = content_version(catalogue.event)
    assert sold_out > start
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=first)
    assert content_version(catalogue.event) > sold_out


def test_a_free_order_takes_its_places_too(catalogue, scoped):
    catalogue.ticket.price = Decimal("0")
    catalogue.ticket.save()
    order = place(catalogue, payment_provider="")
    assert order.status == "paid"
    assert Quota.objects.get(pk=catalogue.quota.pk).used == 1
