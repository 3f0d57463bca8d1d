"""The inbound webhook: other systems (a form tool, a CRM) create and update contacts.

Each organizer has at most one endpoint, ``/campaigns/inbound/<key>/``. A request carries
``X-Eventyay-Timestamp`` (Unix seconds) and ``X-Eventyay-Signature: v1=<hex>``, the
HMAC-SHA256 of ``"<timestamp>.<body>"`` with the endpoint's secret. Requests older or newer
than :data:`REPLAY_WINDOW` are refused, and so is a signature seen before (it is stored with
each accepted delivery and unique), so a captured request cannot be played again. The secret
is stored encrypted and shown once, when the endpoint is created or its secret rotated.

The body is a JSON object with the fields of the contacts API; ``email`` finds the contact
(created if new). Then the ``inbound_received`` automation trigger fires for the contact.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer
from eventyay.base.secrets import SecretError, secret_decrypt, secret_encrypt
from eventyay.base.services.log import log_action
from eventyay_campaigns.models import Contact, InboundDelivery, InboundEndpoint
from eventyay_campaigns.services import automation
from eventyay_campaigns.services import contacts as contact_services

TIMESTAMP_HEADER = "X-Eventyay-Timestamp"
SIGNATURE_HEADER = "X-Eventyay-Signature"
SIGNATURE_VERSION = "v1"
#: How far a request's timestamp may be from the server's clock, in seconds.
REPLAY_WINDOW = 300
#: Largest body accepted, in bytes.
MAX_BODY = 64 * 1024


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def endpoint_url(endpoint: InboundEndpoint) -> str:
    return settings.SITE_URL + reverse("plugins:campaigns:inbound", kwargs={"key": endpoint.key})


def endpoint_rotate(*, organizer: Organizer, actor: Any = None) -> tuple[InboundEndpoint, str]:
    """Create the organizer's endpoint, or give it a new secret; returns it with the plain secret.

    The plain secret is returned only here, to be shown once; the old secret stops working.
    """
    plain = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = InboundEndpoint.objects.select_for_update().filter(organizer=organizer).first()
        creating = endpoint is None
        if endpoint is None:
            endpoint = InboundEndpoint(organizer=organizer, key=secrets.token_urlsafe(24))
        else:
            endpoint.rotated = timezone.now()
        endpoint.secret = secret_encrypt(plain)
        endpoint.save()
        log_action(
            action="campaigns.inbound.created" if creating else "campaigns.inbound.rotated",
            organizer=organizer,
            obj=endpoint,
            actor=actor,
        )
    return endpoint, plain


@dataclass
class InboundResult:
    """The answer to a request: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _refused(status: int, field_name: str, message: str) -> InboundResult:
    return InboundResult(status, {field_name: [message]})


def inbound_receive(
    *, key: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> InboundResult:
    """Check and apply one request to the endpoint ``key``."""
    with scopes_disabled():
        endpoint = InboundEndpoint.objects.select_related("organizer").filter(key=key).first()
    if endpoint is None:
        return _refused(404, "detail", _("Unknown endpoint."))
    organizer = endpoint.organizer
    now = time.time() if now is None else now
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return _refused(401, TIMESTAMP_HEADER, _("Send the Unix time of the request."))
    if abs(now - sent_at) > REPLAY_WINDOW:
        return _refused(401, TIMESTAMP_HEADER, _("The timestamp is outside the five-minute window."))
    try:
        secret = secret_decrypt(endpoint.secret).reveal()
    except SecretError:
        return _refused(401, SIGNATURE_HEADER, _("The endpoint's secret is unreadable; rotate it."))
    expected = signature_for(secret, timestamp, body)
    given = signature.strip()
    if given.startswith(f"{SIGNATURE_VERSION}="):
        given = given[len(SIGNATURE_VERSION) + 1 :]
    if not hmac.compare_digest(expected, given.lower()):
        return _refused(401, SIGNATURE_HEADER, _("The signature does not match."))
    with scope(organizer=organizer):
        return _apply(organizer=organizer, signature=expected, body=body)


def _apply(*, organizer: Organizer, signature: str, body: bytes) -> InboundResult:
    with transaction.atomic():
        try:
            # The signature is spent first, so a replay is refused before anything is written.
            with transaction.atomic():
                delivery = InboundDelivery.objects.create(
                    organizer=organizer, signature=signature, status=202
                )
        except IntegrityError:
            return _refused(409, SIGNATURE_HEADER, _("This request was received before (a replay)."))
        try:
            with transaction.atomic():
                result = _contact_write(organizer=organizer, body=body)
                if result.status >= 400:
                    raise _Refused(result)
        except _Refused as refused:
            result = refused.result
        delivery.status = result.status
        delivery.error = "" if result.status < 400 else json.dumps(result.body)[:2000]
        delivery.contact_id = result.body.get("id") if result.status < 400 else None
        delivery.save(update_fields=["status", "error", "contact"])
    if result.status < 400:
        contact = Contact.objects.get(pk=result.body["id"])
        automation.trigger_fire(
            organizer=organizer,
            contact=contact,
            trigger=automation.Trigger.INBOUND,
            occurrence=f"inbound:{delivery.pk}",
            data={"fields": result.body.get("fields", [])},
        )
    return result


class _Refused(Exception):
    """Rolls back what a refused body wrote (a new tag, say) while the delivery is kept."""

    def __init__(self, result: InboundResult) -> None:
        self.result = result


def _contact_write(*, organizer: Organizer, body: bytes) -> InboundResult:
    from eventyay_campaigns.api.serializers import ContactSerializer

    if len(body) > MAX_BODY:
        return _refused(400, "body", _("The body is larger than 64 KiB."))
    try:
        payload = json.loads(body)
    except ValueError:
        return _refused(400, "body", _("The body is not JSON."))
    if not isinstance(payload, dict):
        return _refused(400, "body", _("Send a JSON object of contact fields."))
    if not isinstance(payload.get("email"), str) or not payload["email"].strip():
        return _refused(400, "email", _("This field is required."))
    existing = Contact.objects.filter(
        organizer=organizer, email_key=contact_services.normalise_email(payload["email"])
    ).first()
    serializer = ContactSerializer(instance=existing, data=payload, partial=existing is not None)
    if not serializer.is_valid():
        return InboundResult(400, {k: [str(m) for m in v] for k, v in serializer.errors.items()})
    try:
        contact = contact_services.contact_save(
            organizer=organizer,
            contact=existing,
            data=dict(serializer.validated_data),
            consent_source=Contact.ConsentSource.API,
        )
    except ValidationError as exc:
        return InboundResult(400, {k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return InboundResult(
        200 if existing else 201,
        {"id": contact.pk, "created": existing is None, "fields": sorted(serializer.validated_data)},
    )
