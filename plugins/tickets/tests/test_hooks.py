"""The plugin's registrations, demo data and periodic task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope
from eventyay_tickets.models import Order, Product, Quota, Voucher
from eventyay_tickets.payment import BankTransferProvider, FreeProvider
from eventyay_tickets.selectors import payment_providers

from eventyay.base.permissions import permission_names
from eventyay.base.plugins import hooks_for
from eventyay.base.plugins.manager import collect_records, plugin_manager

pytestmark = pytest.mark.django_db


def test_permissions_scopes_and_webhook_actions_are_registered():
    assert {"event.orders:read", "event.orders:write", "event.items:write"} <= permission_names()
    scopes = {s.name for s in collect_records(plugin_manager.hook.register_oauth_scopes)}
    assert {"orders:read", "orders:write"} <= scopes
    actions = {a.name for a in collect_records(plugin_manager.hook.register_webhook_action_types)}
    assert {"order.placed", "order.paid", "order.canceled", "order.expired", "order.changed"} <= actions


def test_builtin_providers_come_through_the_hook(tevent):
    with scope(organizer=tevent.organizer):
        providers = payment_providers(tevent)
    assert isinstance(providers["free"], FreeProvider)
    assert isinstance(providers["banktransfer"], BankTransferProvider)


def test_provider_availability_rules(tevent):
    from decimal import Decimal

    with scope(organizer=tevent.organizer):
        tevent.settings.set(
            "tickets_payment_banktransfer",
            {"enabled": True, "min_amount": "10", "max_amount": "500", "products": "1,2"},
        )
        provider = BankTransferProvider(tevent)
    assert provider.is_allowed(total=Decimal("50"), product_ids=[1])
    assert not provider.is_allowed(total=Decimal("5"), product_ids=[1])
    assert not provider.is_allowed(total=Decimal("600"), product_ids=[1])
    assert not provider.is_allowed(total=Decimal("50"), product_ids=[3])


def test_demo_data_sells_tickets_and_is_idempotent(tevent):
    with scope(organizer=tevent.organizer):
        hooks_for(tevent).demo_data(event=tevent)
        hooks_for(tevent).demo_data(event=tevent)
        assert Product.objects.filter(event=tevent).count() == 3
        assert Quota.objects.filter(event=tevent).count() == 2
        assert Voucher.objects.filter(event=tevent, code="DEMO-HALF-PRICE").exists()
        statuses = list(Order.objects.filter(event=tevent).values_list("status", flat=True))
        assert (statuses.count("paid"), statuses.count("pending"), statuses.count("canceled")) == (70, 20, 10)


def test_periodic_task_expires_overdue_orders(catalogue):
    from eventyay_tickets.services import order_place
    from eventyay_tickets.tasks import expire_due_orders

    from .conftest import ticket_position

    with scope(organizer=catalogue.event.organizer):
        order = order_place(
            event=catalogue.event,
            email="a@example.org",
            positions=[ticket_position(catalogue)],
            payment_provider="banktransfer",
        )
        Order.objects.filter(pk=order.pk).update(expires=timezone.now() - dt.timedelta(hours=1))
    expire_due_orders()
    order.refresh_from_db()
    assert order.status == "expired"
