"""Webhooks: subscriptions, and the outbox of deliveries written in the transaction of the change.

A delivery is sent by Celery after commit, signed (``X-Eventyay-Signature``: hex HMAC-SHA256
over ``<timestamp>.<body>`` with the webhook's secret) and retried with growing delays for a
bit more than three days. A webhook whose deliveries keep failing that long is switched off
and the organizer's administrators are told by mail; attempts asked for by hand do not count
toward that. Deliveries go through :mod:`eventyay.base.services.http`, which refuses targets
that are not public (unless the instance allows them), connects only to the checked address
and reads only a short excerpt of the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Team, WebHook, WebHookDelivery
from eventyay.base.services.http import OutgoingRequestError, outgoing_request, outgoing_url_problem
from eventyay.base.services.log import Actor, changes, log_action

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer

logger = logging.getLogger(__name__)

#: Delays between attempts; they add up to a bit less than four days.
RETRY_DELAYS_SECONDS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 24 * 3600, 24 * 3600]
#: How long one attempt may take before another worker may pick the delivery up again.
SEND_TIMEOUT_SECONDS = 10
CLAIM_SECONDS = 5 * SEND_TIMEOUT_SECONDS
#: How much of a receiver's answer is read and kept: enough to see what went wrong.
RESPONSE_EXCERPT_BYTES = 1024
#: The receiver's headers kept with a delivery; the others are not needed to debug it.
RESPONSE_HEADERS_KEPT = ("content-type", "content-length", "location", "retry-after")


def webhook_action_types() -> dict[str, str]:
    """Action type name → label, from core and plugins (``register_webhook_action_types``)."""
    from eventyay.base.plugins.manager import collect_records, plugin_manager

    return {
        record.name: str(record.label)
        for record in collect_records(plugin_manager.hook.register_webhook_action_types)
    }


def webhook_target_problem(url: str) -> str | None:
    """Why ``url`` may not receive webhooks (SSRF guard), or None when it may."""
    return outgoing_url_problem(url)


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

    ``action`` must be a name declared with ``register_webhook_action_types``; ``object_id``
    identifies what changed (a code or a primary key, anything JSON can hold). Give ``event``
    for event-level actions (webhooks limited to other events are skipped), or only
    ``organizer`` for organizer-level ones.

    Transactions: call it inside the transaction of the change (``transaction.atomic()``). The
    deliveries are rows written in that transaction, so a rolled-back change sends nothing;
    sending starts only after the commit, by Celery, with retries. Outside any transaction
    (autocommit) the rows are written and sent at once.

    Each delivery's body is this JSON object, signed as described in the module's docstring::

        {"action": "badges.badge.created", "organizer": "example", "event": "conf",
         "object_id": 12, "delivery_id": "<uuid, the same on every retry>", "data": {...}}

    ``event`` is ``null`` for organizer-level actions; ``data`` is ``data`` (or ``{}``), so keep
    it JSON-serialisable and free of secrets. Returns the queued deliveries (one per
    subscribed webhook; an empty list when nobody subscribed).
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

    # A broker error is logged, not raised into the committed request; the retry sweep delivers.
    transaction.on_commit(lambda: [deliver_webhook.delay(pk) for pk in ids], robust=True)


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
        if delivery.manual_retry:
            delivery.manual_attempts += 1
        delivery.next_attempt = now + timedelta(seconds=CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "manual_attempts", "next_attempt"])
    return delivery


def _excerpt(body: str, *, truncated: bool) -> str:
    """The receiver's answer as plain text to show: control characters replaced, cut marked."""
    text = "".join(
        char if char in "\n\t" or unicodedata.category(char)[0] != "C" else "\ufffd" for char in body
    )
    return text + " […]" if truncated else text


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: _excerpt(headers[name][:255], truncated=len(headers[name]) > 255)
        for name in RESPONSE_HEADERS_KEPT
        if name in headers
    }


def webhook_deliver(*, delivery_pk: int) -> bool:
    """Send one due delivery. Returns True when done (succeeded or given up), False otherwise.

    An attempt asked for by hand (:func:`webhook_delivery_retry`) that fails leaves the retry
    schedule where it was: a delivery that had used up its retries is failed again, without
    switching the webhook off.
    """
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
    kept_headers: dict[str, str] = {}
    try:
        response = outgoing_request(
            "POST",
            hook.target_url,
            data=body,
            headers=headers,
            timeout=SEND_TIMEOUT_SECONDS,
            max_response_bytes=RESPONSE_EXCERPT_BYTES,
        )
    except OutgoingRequestError as exc:
        text = str(exc)[:RESPONSE_EXCERPT_BYTES]
    else:
        code, kept_headers = response.status, _kept_headers(response.headers)
        text = _excerpt(response.text, truncated=response.truncated)
    succeeded = code is not None and 200 <= code < 300
    scheduled_attempts = delivery.attempts - delivery.manual_attempts
    retries_used_up = scheduled_attempts > len(RETRY_DELAYS_SECONDS)
    given_up = False
    with scopes_disabled(), transaction.atomic():
        updates: dict[str, Any] = {
            "response_code": code,
            "response_body": text,
            "response_headers": kept_headers,
            "manual_retry": False,
        }
        if succeeded:
            updates.update(
                status=WebHookDelivery.Status.SUCCEEDED, delivered=timezone.now(), next_attempt=None
            )
        elif retries_used_up:
            updates.update(status=WebHookDelivery.Status.FAILED, next_attempt=None)
            given_up = True
        else:
            delay = RETRY_DELAYS_SECONDS[max(scheduled_attempts, 1) - 1]
            updates.update(next_attempt=timezone.now() + timedelta(seconds=delay))
        WebHookDelivery.objects.filter(pk=delivery.pk).update(**updates)
        if given_up and not delivery.manual_retry:
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
    """Send a delivery again by hand, with the same delivery id (receivers can deduplicate).

    The attempt does not count toward the retry schedule or switching the webhook off.
    """
    with transaction.atomic():
        WebHookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebHookDelivery.Status.PENDING, next_attempt=timezone.now(), manual_retry=True
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
