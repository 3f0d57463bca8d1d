"""Inbound webhooks: verify, refuse replays, pull only the named object."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

from eventyay_cms.connectors.base import SIGNATURE_HEADER, WEBHOOK_TOLERANCE_SECONDS, WebhookRejected
from eventyay_cms.models import Connection
from eventyay_cms.services.registry import adapter_for, connector_type


def webhook_receive(connection: Connection, request: HttpRequest) -> str:
    """Check a webhook and queue a pull of the object it names; returns that object's id.

    Raises :class:`WebhookRejected` for a bad signature, a stale timestamp or a replay: a
    signature is accepted once while its timestamp is within the tolerance.
    """
    if "inbound_webhook" not in connector_type(connection.type).capabilities:
        raise WebhookRejected("This connection takes no webhooks.")
    notice = adapter_for(connection).verify_webhook(request)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    key = "eventyay-cms-webhook-" + hashlib.sha256(f"{connection.pk}:{signature}".encode()).hexdigest()
    if not cache.add(key, "1", 2 * WEBHOOK_TOLERANCE_SECONDS):
        raise WebhookRejected("This webhook was delivered before.")
    from eventyay_cms.tasks import cms_pull_one

    connection_id, external_id = connection.pk, notice.external_id
    transaction.on_commit(lambda: cms_pull_one.delay(connection_id, external_id), robust=True)
    return notice.external_id
