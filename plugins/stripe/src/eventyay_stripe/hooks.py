"""The Stripe plugin's hook implementations: the provider, its control page, session expiry."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.permissions import grant_for_user
from eventyay.base.plugins import NavItem, hookimpl


@hookimpl(optionalhook=True)
def register_payment_providers(event: Any) -> list[type]:
    from eventyay_stripe.provider import StripeProvider

    return [StripeProvider]


@hookimpl
def control_nav_event(event: Any, request: Any) -> list[NavItem]:
    from eventyay_stripe.views import SETTINGS_PERMISSION

    if not grant_for_user(request.user, event.organizer).has_event_permission(event, SETTINGS_PERMISSION):
        return []
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    return [
        NavItem(
            label=str(_("Stripe")),
            url=reverse("plugins:stripe:control", kwargs=kwargs),
            active_prefix="plugins:stripe:control",
        )
    ]


def _expire_sessions(order: Any) -> None:
    from eventyay_stripe.tasks import expire_sessions

    if order.payment_provider == "stripe" or order.payments.filter(provider="stripe").exists():
        transaction.on_commit(lambda: expire_sessions.delay(order.pk))


@hookimpl(optionalhook=True)
def order_expired(event: Any, order: Any) -> None:
    _expire_sessions(order)


@hookimpl(optionalhook=True)
def order_canceled(event: Any, order: Any) -> None:
    _expire_sessions(order)
