"""What recipients do with a sent message: clicks, opens, unsubscribes, bounces and complaints.

Every URL put into a message carries an opaque token signed with :mod:`django.core.signing`,
one salt per purpose, so a token made for one purpose is refused for another and nobody can
make one up. A click token carries the message id and the link's target: only links that the
rewriter found in the message body get one, so ``/c/<token>`` never redirects anywhere a
stranger chooses (no open redirect).

Mail security scanners follow every link and load every image of a message within seconds of
its delivery; those clicks and opens are recorded with ``automated=True`` (also for known
scanner user agents and ``HEAD`` requests) and the figures leave them out.

Unsubscribing (a one-click ``POST`` after RFC 8058, or the button of the confirmation page)
withdraws the consent on the message's channel, suppresses the address, and records one
``unsubscribed`` fact, however often it is repeated. Hard bounces and complaints reported by
an ESP through django-anymail's ``tracking`` signal suppress the address too.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer
from eventyay.base.services.log import log_action
from eventyay_campaigns.channels import channels_all
from eventyay_campaigns.models import UTM_FIELDS, Campaign, Contact, Message, MessageEvent, Suppression
from eventyay_campaigns.services.automation import trigger_fire
from eventyay_campaigns.services.figures import FIRST_FACT_KINDS, figure_add

logger = logging.getLogger(__name__)

CLICK_SALT = "eventyay_campaigns.tracking.click"
OPEN_SALT = "eventyay_campaigns.tracking.open"
UNSUBSCRIBE_SALT = "eventyay_campaigns.tracking.unsubscribe"

#: Clicks and opens this soon after sending come from a scanner, not from a person reading.
AUTOMATED_WINDOW = dt.timedelta(seconds=5)

#: Substrings (lower-case) of the user agents of link scanners and mail security proxies.
SCANNER_USER_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "safelinks",
    "microsoft office protocol discovery",
    "ms-office",
    "symantec",
    "forcepoint",
    "trendmicro",
    "sophos",
    "fortiguard",
    "cisco ironport",
    "googleimageproxy",
    "yahoomailproxy",
    "python-requests",
    "curl/",
    "wget/",
    "go-http-client",
    "headlesschrome",
    "bot",
    "crawler",
    "spider",
    "preview",
)

_LINK = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


class InvalidToken(Exception):
    """A token that was not made by this site for this purpose, or names no message."""


def _sign(salt: str, payload: dict[str, Any]) -> str:
    return signing.Signer(salt=salt).sign_object(payload, compress=True)


def _unsign(salt: str, token: str) -> dict[str, Any]:
    try:
        payload = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("m"), int):
        raise InvalidToken("no message in the token")
    return payload


def _message_of(payload: dict[str, Any]) -> Message:
    # Public URLs name no organizer; the signed id is the only key, and the scope of the
    # message's organizer is opened by the caller from the row found here.
    with scopes_disabled():
        message = (
            Message.objects.select_related("organizer", "campaign", "contact").filter(pk=payload["m"]).first()
        )
    if message is None:
        raise InvalidToken("the message no longer exists")
    return message


def _absolute(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(f"plugins:campaigns:{name}", kwargs={"token": token})


def unsubscribe_token(message: Message) -> str:
    return _sign(UNSUBSCRIBE_SALT, {"m": message.pk})


def unsubscribe_url(message: Message) -> str:
    """The opaque URL that unsubscribes the recipient of ``message`` (GET asks, POST does it)."""
    return _absolute("unsubscribe", unsubscribe_token(message))


def unsubscribe_headers(message: Message) -> dict[str, str]:
    """``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058 one-click) for ``message``."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def click_url(message: Message, target: str) -> str:
    return _absolute("click", _sign(CLICK_SALT, {"m": message.pk, "u": target}))


def open_pixel_url(message: Message) -> str | None:
    """The URL of a 1x1 image counting opens, or None unless the campaign counts opens."""
    if message.campaign is None or not message.campaign.track_opens:
        return None
    return _absolute("open", _sign(OPEN_SALT, {"m": message.pk}))


def _is_trackable(url: str, skip_prefix: str) -> bool:
    scheme = urlsplit(url).scheme.lower()
    return scheme in ("http", "https") and not url.startswith(skip_prefix)


def rewrite_links(html_body: str, message: Message) -> str:
    """``html_body`` with every http(s) link replaced by its click-tracking URL.

    ``mailto:``, ``tel:``, anchors and the message's own unsubscribe link stay as they are:
    an unsubscribe must never depend on following a tracking redirect.
    """
    skip_prefix = _absolute("unsubscribe", "a:b").removesuffix("a:b/")

    def replace(match: re.Match[str]) -> str:
        target = html.unescape(match.group(3)).strip()
        if not _is_trackable(target, skip_prefix):
            return match.group(0)
        quote = match.group(2)
        return f"{match.group(1)}{quote}{html.escape(click_url(message, target))}{quote}"

    return _LINK.sub(replace, html_body)


def with_utm(url: str, campaign: Campaign | None) -> str:
    """``url`` with the campaign's UTM values in its query; other parameters are kept."""
    if campaign is None:
        return url
    ours = {name: getattr(campaign, name) for name in UTM_FIELDS if getattr(campaign, name)}
    if not ours:
        return url
    parts = urlsplit(url)
    kept = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in ours]
    return urlunsplit(parts._replace(query=urlencode([*kept, *ours.items()])))


def is_automated(message: Message, user_agent: str, *, method: str = "GET") -> bool:
    """Whether a click or open looks like a scanner's rather than the recipient's."""
    if method.upper() == "HEAD":
        return True
    agent = user_agent.lower()
    if not agent or any(marker in agent for marker in SCANNER_USER_AGENTS):
        return True
    return message.sent_at is not None and timezone.now() - message.sent_at < AUTOMATED_WINDOW


def click_record(token: str, *, user_agent: str = "", method: str = "GET") -> str:
    """Record the click of a tracked link and return where to redirect (UTM values merged).

    Raises :class:`InvalidToken` for a token this site did not make.
    """
    payload = _unsign(CLICK_SALT, token)
    target = payload.get("u")
    if not isinstance(target, str) or urlsplit(target).scheme.lower() not in ("http", "https"):
        raise InvalidToken("no link in the token")
    message = _message_of(payload)
    with scope(organizer=message.organizer), transaction.atomic():
        automated = is_automated(message, user_agent, method=method)
        _fact_record(message, MessageEvent.Kind.CLICKED, automated, url=target, user_agent=user_agent[:300])
        if message.contact is not None and not automated:
            trigger_fire(
                organizer=message.organizer,
                contact=message.contact,
                trigger="link_clicked",
                occurrence=f"click:{message.pk}",
                data={"campaign": message.campaign_id, "url": target},
            )
    return with_utm(target, message.campaign)


def open_record(token: str, *, user_agent: str = "", method: str = "GET") -> None:
    """Record that the open pixel of a message was loaded (indicative: clients block images)."""
    payload = _unsign(OPEN_SALT, token)
    message = _message_of(payload)
    with scope(organizer=message.organizer), transaction.atomic():
        automated = is_automated(message, user_agent, method=method)
        _fact_record(message, MessageEvent.Kind.OPENED, automated, user_agent=user_agent[:300])


def _fact_record(message: Message, kind: str, automated: bool, **fields: Any) -> None:
    """Record a click or open and count it; call it in a transaction.

    The message row is locked first when a person clicked, so two first clicks at once
    count one unique click between them.
    """
    first = False
    if not automated and message.campaign_id is not None:
        Message.objects.select_for_update().filter(pk=message.pk).values_list("pk").first()
        first = not MessageEvent.objects.filter(message=message, kind=kind, automated=False).exists()
    MessageEvent.objects.create(
        organizer=message.organizer,
        message=message,
        campaign=message.campaign,
        kind=kind,
        automated=automated,
        **fields,
    )
    if automated:
        return
    if kind == MessageEvent.Kind.CLICKED:
        figure_add(organizer_id=message.organizer_id, campaign_id=message.campaign_id, kind="clicks")
    if first:
        figure_add(
            organizer_id=message.organizer_id, campaign_id=message.campaign_id, kind=FIRST_FACT_KINDS[kind]
        )


def unsubscribe_message(token: str) -> Message:
    """The message an unsubscribe token belongs to; raises :class:`InvalidToken`."""
    return _message_of(_unsign(UNSUBSCRIBE_SALT, token))


def is_unsubscribed(message: Message) -> bool:
    with scope(organizer=message.organizer):
        return MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.UNSUBSCRIBED).exists()


def suppress(
    organizer: Organizer,
    channel: str,
    address: str,
    reason: str,
    message: Message | None = None,
) -> tuple[Suppression, bool]:
    """Suppress ``address`` on ``channel``; returns the row and whether it is new.

    An address suppressed before keeps its first reason.
    """
    address = address.strip()
    with scope(organizer=organizer):
        existing = Suppression.objects.filter(
            organizer=organizer, channel=channel, address_key=address.lower()
        ).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                row = Suppression.objects.create(
                    organizer=organizer, channel=channel, address=address, reason=reason, message=message
                )
        except IntegrityError:
            # Suppressed concurrently (two reports for the same address): that row stands.
            return Suppression.objects.get(
                organizer=organizer, channel=channel, address_key=address.lower()
            ), False
    return row, True


def is_suppressed(organizer: Organizer, channel: str, address: str) -> bool:
    with scope(organizer=organizer):
        return Suppression.objects.filter(
            organizer=organizer, channel=channel, address_key=address.strip().lower()
        ).exists()


def _record_once(message: Message, kind: str, **fields: Any) -> bool:
    """Record ``kind`` for ``message`` unless it is recorded; True if it was new."""
    if MessageEvent.objects.filter(message=message, kind=kind).exists():
        return False
    MessageEvent.objects.create(
        organizer=message.organizer, message=message, campaign=message.campaign, kind=kind, **fields
    )
    figure_add(
        organizer_id=message.organizer_id, campaign_id=message.campaign_id, kind=FIRST_FACT_KINDS[kind]
    )
    return True


def message_unsubscribe(message: Message, *, source: str = "one-click") -> bool:
    """Unsubscribe the recipient of ``message`` from its channel; True if it was new.

    Idempotent: the consent is withdrawn, the address suppressed and the fact recorded once
    however often it is called (concurrent calls wait for each other on the message row).
    """
    channel = channels_all().get(message.channel)
    consent_field = channel.consent_field if channel is not None else "marketing_consent"
    with scope(organizer=message.organizer), transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if not _record_once(locked, MessageEvent.Kind.UNSUBSCRIBED):
            return False
        contact = Contact.objects.filter(pk=locked.contact_id).first() if locked.contact_id else None
        if contact is not None and getattr(contact, consent_field, False):
            setattr(contact, consent_field, False)
            contact.consent_at = timezone.now()
            contact.save(update_fields=[consent_field, "consent_at", "updated"])
        suppress(message.organizer, locked.channel, locked.recipient, Suppression.Reason.UNSUBSCRIBED, locked)
        log_action(
            action="eventyay_campaigns.contact.unsubscribed",
            organizer=message.organizer,
            obj=contact,
            data={"channel": locked.channel, "campaign": locked.campaign_id, "source": source},
        )
    return True


#: anymail event types and what they mean here.
_ESP_EVENTS = {
    "delivered": MessageEvent.Kind.DELIVERED,
    "bounced": MessageEvent.Kind.BOUNCED,
    "complained": MessageEvent.Kind.COMPLAINED,
    "unsubscribed": MessageEvent.Kind.UNSUBSCRIBED,
}


def esp_event_record(*, event_type: str, message_id: str, esp_name: str = "") -> bool:
    """Record an ESP's delivery report for the email it sent with ``message_id``.

    Bounces (anymail reports only permanent ones as ``bounced``; temporary ones are
    ``deferred``) and complaints suppress the address. Returns whether a message matched.
    """
    kind = _ESP_EVENTS.get(event_type)
    if kind is None or not message_id:
        return False
    with scopes_disabled():
        message = (
            Message.objects.select_related("organizer", "campaign")
            .filter(channel="email", provider_id=message_id)
            .first()
        )
    if message is None:
        return False
    if kind == MessageEvent.Kind.UNSUBSCRIBED:
        message_unsubscribe(message, source=f"esp:{esp_name}")
        return True
    with scope(organizer=message.organizer), transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        _record_once(locked, kind)
        if kind in (MessageEvent.Kind.BOUNCED, MessageEvent.Kind.COMPLAINED):
            reason = (
                Suppression.Reason.BOUNCED
                if kind == MessageEvent.Kind.BOUNCED
                else Suppression.Reason.COMPLAINED
            )
            suppress(message.organizer, locked.channel, locked.recipient, reason, locked)
    return True


def anymail_tracking_received(sender: Any, event: Any, esp_name: str = "", **kwargs: Any) -> None:
    """Receiver of ``anymail.signals.tracking``: ESP webhooks reach :func:`esp_event_record`."""
    esp_event_record(
        event_type=str(getattr(event, "event_type", "") or ""),
        message_id=str(getattr(event, "message_id", "") or ""),
        esp_name=esp_name,
    )
