"""Settings writes of the back office: document settings and payment provider settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from eventyay.base.models import Event
from eventyay.base.secrets import is_encrypted
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
    """Store one provider's per-event settings where :class:`BasePaymentProvider` reads them.

    Raises :class:`~django.core.exceptions.ValidationError` (a dict by field) when the provider's
    :meth:`~eventyay_tickets.payment.base.BasePaymentProvider.clean_settings` refuses them, e.g.
    bank transfer enabled without an account to pay to.
    """
    values = provider.clean_settings(values)
    stored = {key: _json(value) for key, value in values.items()}
    before = event.settings.get(provider.settings_key) or {}
    with transaction.atomic():
        event.settings.set(provider.settings_key, stored)
        log_action(
            action="eventyay_tickets.settings.payment_provider",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"provider": provider.identifier, **changes(*_without_secrets(before, stored))},
        )
    event.__dict__.pop("_tickets_providers", None)


def _without_secrets(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings as the audit log may show them: an encrypted secret only says that it changed."""

    def shown(value: Any, previous: Any = None) -> Any:
        if not is_encrypted(value):
            return value
        return "(secret)" if previous is None or value == previous else "(secret, replaced)"

    return (
        {key: shown(value) for key, value in before.items()},
        {key: shown(value, before.get(key)) for key, value in after.items()},
    )
