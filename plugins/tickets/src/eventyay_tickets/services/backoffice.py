"""Settings writes of the back office: document settings and payment provider settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, changes, log_action


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def document_settings_save(*, event: Event, values: dict[str, Any], actor: Actor = None) -> None:
    """Store invoice and ticket settings on the event (keys ``tickets_invoice_*``, ``tickets_venue``)."""
    values = {key: _json(value) for key, value in values.items()}
    before = {key: event.settings.get(key) for key in values}
    with transaction.atomic():
        event.settings.update(values)
        log_action(
            action="eventyay_tickets.settings.documents",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data=changes(before, values),
        )


def payment_provider_settings_save(
    *, event: Event, provider: Any, values: dict[str, Any], actor: Actor = None
) -> None:
    """Store one provider's per-event settings where :class:`BasePaymentProvider` reads them."""
    stored = {key: _json(value) for key, value in values.items()}
    before = event.settings.get(provider.settings_key) or {}
    with transaction.atomic():
        event.settings.set(provider.settings_key, stored)
        log_action(
            action="eventyay_tickets.settings.payment_provider",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"provider": provider.identifier, **changes(before, stored)},
        )
    event.__dict__.pop("_tickets_providers", None)
