"""Text messages: the second message channel, through a test backend or Twilio.

Which backend sends is an organizer setting (:class:`~eventyay_campaigns.models.SmsSettings`).
The console backend writes each message to a file under the data directory's ``sms`` folder,
the way the embedded mode's mail backend writes mails, so nothing leaves the machine. Twilio is
called over plain HTTPS with the core's outgoing HTTP client (Messages API, basic
authentication with the account SID and the auth token); its delivery reports come back to
:func:`twilio_status_record` after :func:`twilio_signature_valid` checked them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import Organizer
from eventyay.base.secrets import SecretError, secret_decrypt
from eventyay.base.services import http
from eventyay.base.services.log import log_action
from eventyay_campaigns.channels import ChannelError, MessageChannel, RenderedMessage
from eventyay_campaigns.models import Message, MessageEvent, SmsSettings

TWILIO_API = "https://api.twilio.com/2010-04-01"
#: Seconds a call to Twilio may take; well within the outbox lease of a message.
TWILIO_TIMEOUT = 15.0
#: Twilio's final statuses of a message that did not reach the phone.
TWILIO_FAILED = ("failed", "undelivered")


def sms_settings(organizer: Organizer) -> SmsSettings:
    """The organizer's SMS settings; the console backend until the organizer chose another."""
    found = SmsSettings.objects.filter(organizer=organizer).first()
    return found or SmsSettings(organizer=organizer)


def _auth_token(config: SmsSettings) -> str:
    if not config.auth_token:
        return ""
    try:
        return secret_decrypt(config.auth_token).reveal()
    except SecretError:
        return ""


class SmsChannel(MessageChannel):
    identifier = "sms"
    label = _("Text message (SMS)")
    consent_field = "sms_consent"
    address_field = "phone"
    has_subject = False

    def send(self, message: Message, content: RenderedMessage) -> str:
        config = sms_settings(message.organizer)
        if config.backend == SmsSettings.Backend.TWILIO:
            return twilio_send(config, message=message, text=content.text)
        return console_send(message=message, text=content.text)


def console_send(*, message: Message, text: str) -> str:
    """Write the message to ``<data dir>/sms/<id>.json``; the id is the provider id."""
    folder = Path(settings.DATA_DIR) / "sms"
    folder.mkdir(parents=True, exist_ok=True)
    provider_id = f"console-{message.pk}"
    record = {"id": provider_id, "to": message.recipient, "text": text, "sent": timezone.now().isoformat()}
    (folder / f"{provider_id}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return provider_id


def twilio_status_url(organizer: Organizer) -> str:
    path = reverse("plugins:campaigns:sms.twilio.status", kwargs={"organizer": organizer.slug})
    return settings.SITE_URL + path


def twilio_send(config: SmsSettings, *, message: Message, text: str) -> str:
    """Send through Twilio's Messages API; return the message SID."""
    token = _auth_token(config)
    if not (config.account_sid and token and config.sender):
        raise ChannelError(
            "Twilio is not set up: account SID, auth token and sender are needed.", transient=False
        )
    sender_key = "MessagingServiceSid" if config.sender.startswith("MG") else "From"
    credentials = base64.b64encode(f"{config.account_sid}:{token}".encode()).decode()
    url = f"{TWILIO_API}/Accounts/{config.account_sid}/Messages.json"
    try:
        response = http.outgoing_request(
            "POST",
            url,
            data={
                "To": message.recipient,
                sender_key: config.sender,
                "Body": text,
                "StatusCallback": twilio_status_url(message.organizer),
            },
            headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"},
            timeout=TWILIO_TIMEOUT,
        )
    except http.OutgoingRequestError as exc:
        raise ChannelError(str(exc), transient=True) from exc
    try:
        answer = json.loads(response.body or b"{}")
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if response.ok and answer.get("sid"):
        return str(answer["sid"])
    reason = f"Twilio {response.status}: {answer.get('code', '')} {answer.get('message', '')}".strip()
    # Rate limits and Twilio's own errors pass; a refused number or sender stays refused.
    raise ChannelError(reason, transient=response.status == 429 or response.status >= 500)


def twilio_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 of the URL and the sorted POST parameters."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(
    *, organizer: Organizer, url: str, params: Mapping[str, str], signature: str
) -> bool:
    token = _auth_token(sms_settings(organizer))
    if not token or not signature:
        return False
    return hmac.compare_digest(twilio_signature(token, url, params), signature)


def twilio_status_record(*, organizer: Organizer, params: Mapping[str, str]) -> bool:
    """Record a verified delivery report; False if it names no message of the organizer.

    ``delivered`` adds a delivered fact; ``failed`` and ``undelivered`` mark the message failed
    with Twilio's error code and add a bounce fact. Reports repeat, so each fact is added once.
    """
    sid = params.get("MessageSid", "")
    status = params.get("MessageStatus", "")
    if not sid:
        return False
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(organizer=organizer, channel=SmsChannel.identifier, provider_id=sid)
            .first()
        )
        if message is None:
            return False
        if status == "delivered":
            kind = MessageEvent.Kind.DELIVERED
        elif status in TWILIO_FAILED:
            kind = MessageEvent.Kind.BOUNCED
        else:
            return True
        if kind == MessageEvent.Kind.BOUNCED:
            message.status = Message.Status.FAILED
            message.error = f"Twilio {status}: {params.get('ErrorCode', '')}".strip()
            message.save(update_fields=["status", "error"])
        if not MessageEvent.objects.filter(message=message, kind=kind).exists():
            MessageEvent.objects.create(
                organizer=organizer, message=message, campaign_id=message.campaign_id, kind=kind
            )
    return True


def sms_settings_save(*, organizer: Organizer, data: dict[str, Any], actor: Any = None) -> SmsSettings:
    """Store the organizer's SMS settings; ``auth_token`` arrives encrypted (``SecretFormField``)."""
    with transaction.atomic():
        config = SmsSettings.objects.select_for_update().filter(organizer=organizer).first()
        config = config or SmsSettings(organizer=organizer)
        for name in ("backend", "account_sid", "auth_token", "sender"):
            if name in data:
                setattr(config, name, data[name] or "")
        config.save()
        # The token is left out of the log, like every secret.
        log_action(
            action="campaigns.sms.settings",
            organizer=organizer,
            obj=config,
            actor=actor,
            data={"backend": config.backend, "account_sid": config.account_sid, "sender": config.sender},
        )
    return config
