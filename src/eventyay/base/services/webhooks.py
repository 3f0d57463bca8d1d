"""Webhooks: subscriptions, and the outbox of deliveries written in the transaction of the change.

A delivery is sent by Celery after commit, signed (``X-Eventyay-Signature``: hex HMAC-SHA256
over ``<timestamp>.<body>`` with the webhook's secret) and retried with growing delays for a
bit more than three days. A webhook whose deliveries keep failing that long is switched off
and the organizer's administrators are told by mail. Targets resolving to loopback, private or
link-local addresses are refused unless the instance allows them (``webhooks_allow_private``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Team, WebHook, WebHookDelivery
from eventyay.base.services.log import Actor, changes, log_action

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer

logger = logging.getLogger(__name__)

#: Delays between attempts; they add up to a bit less than four days.
RETRY_DELAYS_SECONDS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 24 * 3600, 24 * 3600]
#: How long one attempt may take before another worker may pick the delivery up again.
SEND_TIMEOUT_SECONDS = 10
CLAIM_SECONDS = 5 * SEND_TIMEOUT_SECONDS


def webhook_action_types() -> dict[str, str]:
    """Action type name → label, from core and plugins (``register_webhook_action_types``)."""
    from eventyay.base.plugins.manager import collect_records, plugin_manager

    return {
        record.name: str(record.label)
        for record in collect_records(plugin_manager.hook.register_webhook_action_types)
    }


def _private_targets_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def webhook_target_problem(url: str) -> str | None:
    """Why ``url`` may not receive webhooks (SSRF guard), or None when it may.

    Every address the host name resolves to must be public, unless the instance allows
    private targets.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("This is not a valid URL.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Only http:// and https:// URLs can receive webhooks.")
    if _private_targets_allowed():
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return _("The host name could not be resolved.")
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            return _("Webhooks cannot be sent to local or private network addresses.")
    return None


def _webhook_snapshot(hook: WebHook) -> dict[str, Any]:
    return {
        "target_url": hook.target_url,
        "enabled": hook.enabled,
        "all_events": hook.all_events,
        "action_types": list(hook.action_types),
        "limit_events": sorted(e.slug for e in hook.limit_events.all()) if hook.pk else [],
    }


def webhook_save(
    *,
    organizer: Organizer,
    target_url: str,
    action_types: Iterable[str],
    enabled: bool = True,
    all_events: bool = True,
    limit_events: Iterable[Event] = (),
    webhook: WebHook | None = None,
    actor: Actor = None,
) -> WebHook:
    """Create a webhook, or change ``webhook``, after checking the target and action types."""
    action_types = sorted(set(action_types))
    known = webhook_action_types()
    unknown = [name for name in action_types if name not in known]
    if unknown:
        raise ValidationError({"action_types": [_("Unknown action type: %s") % ", ".join(unknown)]})
    problem = webhook_target_problem(target_url)
    if problem:
        raise ValidationError({"target_url": [problem]})
    limit_events = list(limit_events)
    if any(event.organizer_id != organizer.pk for event in limit_events):
        raise ValidationError({"limit_events": [_("Events must belong to this organizer.")]})
    with transaction.atomic():
        before = _webhook_snapshot(webhook) if webhook else {}
        hook = webhook or WebHook(organizer=organizer)
        hook.target_url = target_url
        hook.action_types = action_types
        if enabled and not hook.enabled:
            hook.disabled_reason = ""
        hook.enabled = enabled
        hook.all_events = all_events
        hook.full_clean(exclude=["organizer", "secret"])
        created = hook.pk is None
        hook.save()
        hook.limit_events.set([] if all_events else limit_events)
        log_action(
            action="eventyay.webhook.created" if created else "eventyay.webhook.changed",
            organizer=organizer,
            obj=hook,
            actor=actor,
            data=changes(before, _webhook_snapshot(hook)),
        )
    return hook


def webhook_delete(*, webhook: WebHook, actor: Actor = None) -> None:
    with transaction.atomic():
        log_action(
            action="eventyay.webhook.deleted",
            organizer=webhook.organizer,
            obj=webhook,
            actor=actor,
            data={"target_url": webhook.target_url},
        )
        webhook.delete()


def webhook_emit(
    *,
    action: str,
    object_id: Any,
    event: Event | None = None,
    organizer: Organizer | None = None,
    data: dict[str, Any] | None = None,
) -> list[WebHookDelivery]:
    """Queue ``action`` for every enabled webhook of the organizer subscribed to it.

    Call inside the transaction of the change; delivery starts after commit.
    """
    if organizer is None:
        assert event is not None, "webhook_emit needs an event or an organizer"
        organizer = event.organizer
    hooks = WebHook.objects.filter(organizer=organizer, enabled=True)
    if event is not None:
        hooks = hooks.filter(Q(all_events=True) | Q(limit_events=event)).distinct()
    deliveries = []
    for hook in hooks:
        if action not in hook.action_types:
            continue
        delivery = WebHookDelivery(webhook=hook, action_type=action, next_attempt=timezone.now())
        delivery.payload = {
            "action": action,
            "organizer": organizer.slug,
            "event": event.slug if event is not None else None,
            "object_id": object_id,
            "delivery_id": str(delivery.delivery_id),
            "data": data or {},
        }
        delivery.save()
        deliveries.append(delivery)
    if deliveries:
        _enqueue_after_commit([delivery.pk for delivery in deliveries])
    return deliveries


def _enqueue_after_commit(ids: list[int]) -> None:
    from eventyay.base.tasks import deliver_webhook

    transaction.on_commit(lambda: [deliver_webhook.delay(pk) for pk in ids])


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``X-Eventyay-Signature``: hex HMAC-SHA256 over ``<timestamp>.<body>`` with the webhook secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _claim(delivery_pk: int) -> WebHookDelivery | None:
    """Take a due delivery for one attempt, so no other worker sends it at the same time."""
    with scopes_disabled(), transaction.atomic():
        delivery = (
            WebHookDelivery.objects.select_for_update()
            .select_related("webhook__organizer")
            .filter(pk=delivery_pk)
            .first()
        )
        now = timezone.now()
        if (
            delivery is None
            or delivery.status != WebHookDelivery.Status.PENDING
            or (delivery.next_attempt is not None and delivery.next_attempt > now)
        ):
            return None
        delivery.attempts += 1
        delivery.next_attempt = now + timedelta(seconds=CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "next_attempt"])
    return delivery


def webhook_deliver(*, delivery_pk: int) -> bool:
    """Send one due delivery. Returns True when done (succeeded or given up), False otherwise."""
    import requests

    delivery = _claim(delivery_pk)
    if delivery is None:
        return False
    hook = delivery.webhook
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    timestamp = str(int(timezone.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "eventyay-webhooks",
        "X-Eventyay-Timestamp": timestamp,
        "X-Eventyay-Signature": signature(secret=hook.secret, timestamp=timestamp, body=body),
        "X-Eventyay-Delivery": str(delivery.delivery_id),
    }
    code: int | None = None
    problem = webhook_target_problem(hook.target_url)
    if problem:
        text = str(problem)
    else:
        try:
            response = requests.post(
                hook.target_url,
                data=body,
                headers=headers,
                timeout=SEND_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            code, text = response.status_code, response.text[:4000]
        except requests.RequestException as exc:
            text = f"{type(exc).__name__}: {exc}"[:4000]
    succeeded = code is not None and 200 <= code < 300
    given_up = False
    with scopes_disabled(), transaction.atomic():
        updates: dict[str, Any] = {"response_code": code, "response_body": text}
        if succeeded:
            updates.update(
                status=WebHookDelivery.Status.SUCCEEDED, delivered=timezone.now(), next_attempt=None
            )
        elif delivery.attempts > len(RETRY_DELAYS_SECONDS):
            updates.update(status=WebHookDelivery.Status.FAILED, next_attempt=None)
            given_up = True
        else:
            delay = RETRY_DELAYS_SECONDS[delivery.attempts - 1]
            updates.update(next_attempt=timezone.now() + timedelta(seconds=delay))
        WebHookDelivery.objects.filter(pk=delivery.pk).update(**updates)
        if given_up:
            _webhook_disable_failing(hook)
    return succeeded or given_up


def _webhook_disable_failing(hook: WebHook) -> None:
    """Switch off a webhook whose deliveries failed for days, and tell the organizer."""
    from eventyay.base.services.mail import mail_queue

    if not hook.enabled:
        return
    reason = _("Deliveries kept failing for more than three days.")
    WebHook.objects.filter(pk=hook.pk).update(enabled=False, disabled_reason=reason)
    log_action(
        action="eventyay.webhook.disabled",
        organizer=hook.organizer,
        obj=hook,
        data={"target_url": hook.target_url, "reason": reason},
    )
    recipients = sorted(
        {
            member.email
            for team in Team.objects.filter(organizer=hook.organizer).prefetch_related("members")
            if team.has_permission("organizer.settings:write")
            for member in team.members.all()
        }
    )
    if recipients:
        mail_queue(
            organizer=hook.organizer,
            to=recipients,
            subject=_("A webhook of %(organizer)s was switched off") % {"organizer": hook.organizer.name},
            body=_(
                "Hello,\n\nthe webhook sending to %(url)s could not deliver for more than three days "
                "and has been switched off. Check the receiver, then switch the webhook on again in the "
                "control panel, where you can also retry the failed deliveries.\n"
            )
            % {"url": hook.target_url},
            delivery_key=f"webhook-disabled-{hook.pk}-{timezone.now():%Y%m%d}",
        )


def webhook_delivery_retry(*, delivery: WebHookDelivery, actor: Actor = None) -> WebHookDelivery:
    """Send a delivery again by hand, with the same delivery id (receivers can deduplicate)."""
    with transaction.atomic():
        WebHookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebHookDelivery.Status.PENDING, next_attempt=timezone.now()
        )
        log_action(
            action="eventyay.webhook.delivery.retried",
            organizer=delivery.webhook.organizer,
            obj=delivery.webhook,
            actor=actor,
            data={"delivery_id": str(delivery.delivery_id)},
        )
        _enqueue_after_commit([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def webhook_deliveries_due() -> list[int]:
    with scopes_disabled():
        return list(
            WebHookDelivery.objects.filter(
                status=WebHookDelivery.Status.PENDING, next_attempt__lte=timezone.now()
            )
            .order_by("next_attempt")
            .values_list("pk", flat=True)[:500]
        )
