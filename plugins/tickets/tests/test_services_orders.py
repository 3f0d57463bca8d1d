"""Order placement and transitions, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from eventyay_tickets.models import Order, OrderRefund, Quota
from eventyay_tickets.services import (
    OrderError,
    order_approve,
    order_cancel,
    order_deny,
    order_expire_if_due,
    order_extend,
    order_mark_paid,
    order_place,
    order_reactivate,
    orders_expire_due,
    quota_availability,
)

from eventyay.base.models import LogEntry, OutgoingMail
from eventyay.testing.plugin import register_temporarily

from .conftest import ticket_position

pytestmark = pytest.mark.django_db


def place(catalogue, *positions, **kwargs):
    kwargs.setdefault("payment_provider", "banktransfer")
    return order_place(
        event=catalogue.event,
        email="buyer@example.org",
        positions=list(positions) or [ticket_position(catalogue)],
        **kwargs,
    )


def test_placing_an_order_writes_positions_log_and_mail(
    catalogue, scoped, django_capture_on_commit_callbacks
):
    from eventyay.base.models import DeferredEffect

    with django_capture_on_commit_callbacks(execute=True):
        order = place(catalogue)
        # Until the commit the log entry, webhooks and mail are one deferred row of the order.
        assert DeferredEffect.objects.get().payload["order"] == order.pk
        assert not LogEntry.objects.filter(action_type="eventyay_tickets.order.placed").exists()
    assert not DeferredEffect.objects.exists()
    assert order.status == "pending"
    assert order.total == Decimal("100.00")
    assert order.positions.count() == 1
    position = order.positions.get()
    assert position.answers.get().answer == "ACME"
    assert position.secret and position.positionid == 1
    assert LogEntry.objects.filter(action_type="eventyay_tickets.order.placed").count() == 1
    mail = OutgoingMail.objects.get()
    assert order.code in mail.subject and order.full_code in mail.body_text


def test_errors_are_reported_per_position_and_nothing_is_written(catalogue, scoped):
    with pytest.raises(OrderError) as info:
        place(catalogue, ticket_position(catalogue), {"product": catalogue.secret.pk}, {"product": 999999})
    positions = info.value.detail["positions"]
    assert positions[0] == {}
    assert "voucher" in positions[1]["product"][0]
    assert positions[2]["product"]
    assert not Order.objects.exists()


def test_required_question_must_be_answered(catalogue, scoped):
    with pytest.raises(OrderError) as info:
        place(catalogue, {"product": catalogue.ticket.pk})
    assert "required" in info.value.detail["positions"][0]["answers"][0]


def test_maximum_per_order_is_enforced(catalogue, scoped):
    with pytest.raises(OrderError) as info:
        place(catalogue, *[ticket_position(catalogue) for _i in range(6)])
    assert info.value.detail["positions"][5]["product"]
    assert info.value.detail["positions"][0] == {}


def test_product_outside_its_sale_window_cannot_be_bought(catalogue, scoped):
    catalogue.ticket.available_from = timezone.now() + dt.timedelta(days=1)
    catalogue.ticket.save()
    with pytest.raises(OrderError) as info:
        place(catalogue)
    assert "not on sale yet" in info.value.detail["positions"][0]["product"][0]


def test_quota_is_never_exceeded(catalogue, scoped):
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=2)
    place(catalogue, ticket_position(catalogue), ticket_position(catalogue))
    with pytest.raises(OrderError) as info:
        place(catalogue)
    assert "sold out" in info.value.detail["positions"][0]["product"][0]
    assert Order.objects.count() == 1


def test_variation_price_and_variation_quota(catalogue, scoped):
    order = place(catalogue, {"product": catalogue.shirt.pk, "variation": catalogue.large.pk})
    assert order.total == Decimal("25.00")
    with pytest.raises(OrderError) as info:
        place(catalogue, {"product": catalogue.shirt.pk})
    assert info.value.detail["positions"][0]["variation"]


def test_voucher_discounts_and_is_limited_to_its_max_usages(catalogue, scoped):
    order = place(
        catalogue, ticket_position(catalogue, voucher="HALF"), ticket_position(catalogue, voucher="HALF")
    )
    assert order.total == Decimal("100.00")
    catalogue.voucher.refresh_from_db()
    assert catalogue.voucher.redeemed == 2
    with pytest.raises(OrderError) as info:
        place(catalogue, ticket_position(catalogue, voucher="HALF"))
    assert "maximum" in info.value.detail["positions"][0]["product"][0]


def test_voucher_may_bypass_a_sold_out_quota(catalogue, scoped):
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=0)
    catalogue.voucher.allow_ignore_quota = True
    catalogue.voucher.save()
    order = place(catalogue, ticket_position(catalogue, voucher="HALF"))
    assert order.positions.get().price == Decimal("50.00")


def test_free_orders_are_paid_at_once(catalogue, scoped, django_capture_on_commit_callbacks):
    catalogue.ticket.price = Decimal("0")
    catalogue.ticket.save()
    calls = []
    with (
        register_temporarily("tickets", order_paid=lambda event, order: calls.append(order.code)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place(catalogue, payment_provider="")
    assert order.status == "paid" and order.payment_provider == "free"
    assert calls == [order.code]


def test_a_failing_plugin_hook_does_not_break_checkout(catalogue, scoped, django_capture_on_commit_callbacks):
    def broken(event, order):
        raise RuntimeError("plugin bug")

    with (
        register_temporarily("tickets", order_placed=broken),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place(catalogue)
    assert Order.objects.filter(pk=order.pk).exists()


def test_hooks_of_plugins_disabled_for_the_event_are_not_called(
    catalogue, scoped, django_capture_on_commit_callbacks
):
    calls = []
    with (
        register_temporarily("someplugin", order_placed=lambda event, order: calls.append(order)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        place(catalogue)
    assert calls == []


def test_mark_paid_sends_mail_and_changes_status(catalogue, scoped, django_capture_on_commit_callbacks):
    order = place(catalogue)
    # The payment mail carries the tickets: a task renders them after commit, then queues it.
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order=order)
    order.refresh_from_db()
    assert order.status == "paid"
    assert OutgoingMail.objects.filter(subject__icontains="Payment received").count() == 1


def test_expired_orders_free_their_quota_and_are_rechecked_when_paid_later(catalogue, scoped):
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=1)
    order = place(catalogue)
    Order.objects.filter(pk=order.pk).update(expires=timezone.now() - dt.timedelta(minutes=1))
    order.refresh_from_db()
    order = order_expire_if_due(order=order)
    assert order.status == "expired"
    assert quota_availability(event=catalogue.event)[catalogue.quota.pk]["available_number"] == 1
    other = place(catalogue)
    order_mark_paid(order=order)
    order.refresh_from_db()
    assert (order.status, order.paid_over_quota) == ("expired", True)
    order_cancel(order=other)
    late = place(catalogue)
    Order.objects.filter(pk=late.pk).update(expires=timezone.now() - dt.timedelta(minutes=1))
    late.refresh_from_db()
    order_expire_if_due(order=late)
    order_mark_paid(order=late)
    late.refresh_from_db()
    assert (late.status, late.paid_over_quota) == ("paid", False)


def test_beat_task_service_expires_all_due_orders(catalogue, scoped):
    order = place(catalogue)
    Order.objects.filter(pk=order.pk).update(expires=timezone.now() - dt.timedelta(minutes=1))
    assert orders_expire_due(event=catalogue.event) == 1
    order.refresh_from_db()
    assert order.status == "expired"


def test_extend_reopens_an_expired_order(catalogue, scoped):
    order = place(catalogue)
    Order.objects.filter(pk=order.pk).update(status="expired")
    order.refresh_from_db()
    order_extend(order=order, expires=timezone.now() + dt.timedelta(days=3))
    assert order.status == "pending"


def test_cancel_with_fee_creates_a_manual_refund_for_bank_transfer(catalogue, scoped):
    order = place(catalogue)
    order_mark_paid(order=order, provider="banktransfer")
    order_cancel(order=order, fee=Decimal("10"))
    assert order.status == "canceled"
    refund = OrderRefund.objects.get()
    assert refund.amount == Decimal("90.00") and refund.state == "manual"
    with pytest.raises(OrderError):
        order_reactivate(order=order)


def test_reactivate_rechecks_quota(catalogue, scoped):
    Quota.objects.filter(pk=catalogue.quota.pk).update(size=1)
    order = place(catalogue)
    order_cancel(order=order)
    place(catalogue)
    with pytest.raises(OrderError):
        order_reactivate(order=order)


def test_approval_flow(catalogue, scoped):
    catalogue.ticket.require_approval = True
    catalogue.ticket.save()
    order = place(catalogue)
    assert order.require_approval and order.status == "pending"
    order_approve(order=order)
    assert not order.require_approval
    second = place(catalogue)
    order_deny(order=second)
    assert second.status == "canceled"
