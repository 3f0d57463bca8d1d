"""What every order transition does besides changing rows: audit log, webhook, mail, hook.

Log entry, webhook delivery and mail are rows written in the transition's transaction; the
plugin hook runs after commit through :func:`eventyay.base.plugins.notify`, which isolates a
failing plugin from the checkout and from the other plugins. A mail that carries documents
(tickets, invoice) is queued after commit by a task that renders them first.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from string import Formatter
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from i18nfield.strings import LazyI18nString

from eventyay.base.models import DeferredEffect, Event
from eventyay.base.plugins import hooks_for, notify
from eventyay.base.services.deferred import defer, register_effect
from eventyay.base.services.log import Actor, actor_from_reference, actor_reference, log_action
from eventyay.base.services.mail import mail_context, mail_queue, render_mail_template
from eventyay.base.services.webhooks import webhook_emit
from eventyay.base.settings import register_default
from eventyay_tickets.models import Order
from eventyay_tickets.selectors import payment_providers, tickets_settings
from eventyay_tickets.services.invoices import invoice_due

logger = logging.getLogger(__name__)
#: How long a document mail may wait for its task before the beat task queues it again.
MAIL_DOCUMENTS_GRACE = dt.timedelta(minutes=10)

#: Every order mail: (name shown in the control panel, default subject, default text).
MAIL_TEMPLATES: dict[str, tuple[Any, Any, Any]] = {
    "order_placed": (
        _("Order placed"),
        _("Your order {code} for {event}"),
        _(
            "Hello,\n\nthank you for your order for {event}.\n\nOrder: {code}\nTotal: {total} {currency}\n"
            "Status: {status}\n\n{payment_info}\n\nYou can view and change your order at any time:\n{url}\n"
        ),
    ),
    "order_paid": (
        _("Payment received"),
        _("Payment received for your order {code}"),
        _("Hello,\n\nwe received your payment for {event}. Your tickets are ready:\n{url}\n"),
    ),
    "order_expiring": (
        _("Order expiring soon"),
        _("Your order {code} is about to expire"),
        _(
            "Hello,\n\nwe have not received your payment for order {code} yet. Please pay by {expires}:\n{url}\n"
        ),
    ),
    "order_canceled": (
        _("Order canceled"),
        _("Your order {code} has been canceled"),
        _("Hello,\n\nyour order {code} for {event} has been canceled.\n{url}\n"),
    ),
    "order_approved": (
        _("Order approved"),
        _("Your order {code} has been approved"),
        _("Hello,\n\nyour order {code} for {event} has been approved.\n\n{payment_info}\n{url}\n"),
    ),
    "order_denied": (
        _("Order denied"),
        _("Your order {code} has been denied"),
        _("Hello,\n\nunfortunately, your order {code} for {event} could not be approved.\n"),
    ),
}

#: The placeholders :func:`order_mail_context` adds to the core's, with what they stand for.
ORDER_PLACEHOLDERS: dict[str, Any] = {
    "code": _("The order code"),
    "total": _("The order total"),
    "currency": _("The event's currency"),
    "status": _("The order status"),
    "url": _("The link to the order page"),
    "expires": _("The payment deadline"),
    "payment_info": _("Payment instructions of a pending order"),
    "signature": _("The signature set in the plugin settings"),
}

#: Event settings of the order mails (falling back to the organizer's, then to these).
MAIL_SETTINGS_DEFAULTS: dict[str, Any] = {
    "tickets_mail_attach_tickets": True,
    "tickets_mail_attach_invoice": True,
    #: ``{template: {"subject": {locale: text}, "text": {locale: text}}}``; absent: the default.
    "tickets_mail_templates": {},
}
for _key, _value in MAIL_SETTINGS_DEFAULTS.items():
    register_default(_key, _value)


def mail_template_texts(event: Event, template: str) -> tuple[str, str]:
    """``(subject, text)`` of ``template`` for ``event`` in the active language.

    The event's own texts (per language, falling back like every translated text), else
    texts stored by earlier versions in the plugin settings, else the default.
    """
    stored = (event.settings.get("tickets_mail_templates") or {}).get(template)
    if stored:
        return str(LazyI18nString(stored.get("subject") or "")), str(LazyI18nString(stored.get("text") or ""))
    _label, subject, text = MAIL_TEMPLATES[template]
    legacy = tickets_settings(event)
    return (
        str(legacy.get(f"mail_subject_{template}") or subject),
        str(legacy.get(f"mail_text_{template}") or text),
    )


def order_mail_context(order: Order) -> dict[str, Any]:
    """Placeholders for order mails: core ones, the order's, and those of ``order_mail_placeholders``."""
    from django.conf import settings

    event = order.event
    provider = payment_providers(event).get(order.payment_provider)
    context = mail_context(event=event)
    context.update(
        code=order.code,
        total=order.total,
        currency=event.currency,
        status=order.get_status_display(),
        url=settings.SITE_URL + order.get_absolute_url(),
        expires=date_format(order.expires.astimezone(event.tz), "SHORT_DATETIME_FORMAT"),
        payment_info=(
            provider.payment_info_text(order=order)
            if provider and order.status == Order.Status.PENDING and not order.require_approval
            else ""
        ),
        signature=tickets_settings(event).get("mail_from_label") or "",
    )
    for extra in hooks_for(event).order_mail_placeholders(event=event, order=order):
        context.update(extra or {})
    return context


def sample_order(event: Event) -> Order:
    """An unsaved pending order of ``event`` to preview mails with; it touches no rows."""
    now = timezone.now()
    order = Order(
        event=event,
        code="ABC12",
        secret="preview",
        email="jane.doe@example.org",
        locale=event.locale,
        total=Decimal("42.00"),
        payment_provider="banktransfer",
        datetime=now,
        expires=now + dt.timedelta(days=7),
    )
    return order


def mail_placeholders_available(event: Event) -> dict[str, str]:
    """Every placeholder an order mail of ``event`` may use, with an example value.

    The core's (``mail_context``, including the ``mail_placeholders`` hook), the order's and
    those of the ``order_mail_placeholders`` hook, rendered for :func:`sample_order`.
    """
    with translation.override(event.locale):
        context = order_mail_context(sample_order(event))
    return {key: str(value) for key, value in sorted(context.items())}


def mail_template_placeholders(text: str) -> list[str]:
    """The ``{placeholder}`` names used in ``text``; raises ``ValueError`` on unbalanced braces."""
    return [name for _literal, name, _spec, _conv in Formatter().parse(text) if name is not None]


def mail_preview(*, event: Event, subject: str, text: str, locale: str = "") -> tuple[str, str]:
    """``(subject, text)`` as the sample order's buyer would get them."""
    with translation.override(locale or event.locale):
        context = order_mail_context(sample_order(event))
        return render_mail_template(subject, context), render_mail_template(text, context)


def mail_settings_save(
    *,
    event: Event,
    templates: dict[str, dict[str, dict[str, str]]],
    attach_tickets: bool,
    attach_invoice: bool,
    actor: Actor = None,
) -> None:
    """Store the event's mail texts (``{template: {"subject": {locale: text}, "text": ...}}``)
    and whether mails attach tickets and invoices; an audit entry records the change."""
    unknown = set(templates) - set(MAIL_TEMPLATES)
    if unknown:
        raise ValueError(f"Unknown mail templates: {', '.join(sorted(unknown))}")
    values = {
        "tickets_mail_templates": templates,
        "tickets_mail_attach_tickets": attach_tickets,
        "tickets_mail_attach_invoice": attach_invoice,
    }
    before = {key: event.settings.get(key) for key in values}
    with transaction.atomic():
        event.settings.update(values)
        log_action(
            action="eventyay_tickets.settings.mails",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={
                "changed": sorted(key for key, value in values.items() if before[key] != value),
            },
        )


def order_mail_documents(order: Order, template: str) -> tuple[bool, bool]:
    """Whether the ``template`` mail of ``order`` carries ``(tickets, invoice)`` as attachments.

    The payment mail carries the tickets and the invoice; the order mail carries the invoice
    when the event issues invoices on placement. Each as the event's mail settings allow.
    """
    settings = order.event.settings
    tickets = template == "order_paid" and bool(settings.get("tickets_mail_attach_tickets"))
    invoice = (
        template in ("order_paid", "order_placed")
        and bool(settings.get("tickets_mail_attach_invoice"))
        and invoice_due(order)
    )
    return tickets, invoice


def order_mail(*, order: Order, template: str, delivery_key: str) -> None:
    """Queue the event's (editable) ``template`` mail for ``order``, in the order's language.

    A mail that carries documents is noted on the order in the caller's transaction and
    written to the outbox by a task once it has rendered them (see
    :func:`order_mail_with_documents`); :func:`order_mails_awaiting_retry` picks up notes whose
    task got lost.
    """
    if not order.email:
        return
    if any(order_mail_documents(order, template)):
        order.mails_awaiting_documents = [
            *order.mails_awaiting_documents,
            {"template": template, "key": delivery_key},
        ]
        order.mails_awaiting_since = order.mails_awaiting_since or timezone.now()
        Order.objects.filter(pk=order.pk).update(
            mails_awaiting_documents=order.mails_awaiting_documents,
            mails_awaiting_since=order.mails_awaiting_since,
        )
        order_id = order.pk
        transaction.on_commit(lambda: _mail_with_documents_later(order_id, template, delivery_key))
        return
    order_mail_queue(order=order, template=template, delivery_key=delivery_key)


def _mail_with_documents_later(order_id: int, template: str, delivery_key: str) -> None:
    from eventyay_tickets.tasks_documents import order_mail_with_documents as task

    try:
        task.delay(order_id, template, delivery_key)
    except Exception:
        # Runs after commit (eagerly in embedded mode): the order stands whatever happens here,
        # and the note on the order makes the beat task try again.
        logger.exception("Queueing the %s mail of order %s failed", template, order_id)


def order_mails_awaiting_retry(*, event: Event, now: dt.datetime | None = None) -> int:
    """Queue again the document mails of ``event`` whose task did not run (the beat task calls this)."""
    now = now or timezone.now()
    count = 0
    stale = Order.objects.filter(event=event, mails_awaiting_since__lt=now - MAIL_DOCUMENTS_GRACE)
    for order_id, pending in stale.values_list("pk", "mails_awaiting_documents")[:500]:
        for entry in pending:
            _mail_with_documents_later(order_id, entry["template"], entry["key"])
            count += 1
    return count


def order_mail_queue(
    *, order: Order, template: str, delivery_key: str, attachments: Sequence[dict[str, str]] = ()
) -> None:
    """Render ``template`` for ``order`` and write it to the outbox (nothing if it is empty)."""
    if not order.email:
        return
    with translation.override(order.locale):
        context = order_mail_context(order)
        subject_template, text_template = mail_template_texts(order.event, template)
        subject = render_mail_template(subject_template, context)
        body = render_mail_template(text_template, context)
    if not subject.strip() or not body.strip():
        return
    mail_queue(
        to=[order.email],
        subject=subject,
        body=body,
        event=order.event,
        delivery_key=delivery_key,
        attachments=attachments,
    )


def order_mail_with_documents(*, order: Order, template: str, delivery_key: str) -> None:
    """Render the documents ``template`` carries, then queue the mail with them attached.

    The Celery task :func:`~eventyay_tickets.tasks_documents.order_mail_with_documents` calls
    this after the transition committed. A document that cannot be rendered is left off (the
    mail still links the order page, where it can be fetched later); the mail is sent anyway.
    """
    from eventyay_tickets.services.documents import order_mail_attachments

    if not any(entry["key"] == delivery_key for entry in order.mails_awaiting_documents):
        return  # queued already (a retry met the task it stood in for)
    tickets, invoice = order_mail_documents(order, template)
    try:
        attachments = order_mail_attachments(order=order, tickets=tickets, invoice=invoice)
    except Exception:
        logger.exception("Rendering the documents of order %s failed; mailing without them", order.pk)
        attachments = []
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        pending = [entry for entry in locked.mails_awaiting_documents if entry["key"] != delivery_key]
        Order.objects.filter(pk=order.pk).update(
            mails_awaiting_documents=pending,
            mails_awaiting_since=locked.mails_awaiting_since if pending else None,
        )
        order_mail_queue(order=order, template=template, delivery_key=delivery_key, attachments=attachments)


def order_transition_recorded(
    *,
    order: Order,
    action: str,
    actor: Actor = None,
    data: dict[str, Any] | None = None,
    webhook: str | None = None,
    hook: str | None = None,
    mail: str | None = None,
    mail_key: str = "",
    changes: dict[str, Any] | None = None,
) -> None:
    """Write the log entry, webhook and mail of a transition, and schedule its hook after commit."""
    event = order.event
    log_action(
        action=f"eventyay_tickets.order.{action}",
        organizer=event.organizer,
        event=event,
        obj=order,
        actor=actor,
        data={"code": order.code, "status": order.status, **(data or {})},
    )
    if webhook:
        webhook_emit(
            event=event,
            action=webhook,
            object_id=order.code,
            data={"code": order.code, "status": order.status, **(data or {})},
        )
    if mail:
        order_mail(order=order, template=mail, delivery_key=f"tickets:{order.pk}:{mail}:{mail_key}")
    if hook:
        enabled = event.enabled_plugin_names
        kwargs: dict[str, Any] = {"event": event, "order": order}
        if hook == "order_changed":
            kwargs["changes"] = {"action": action, **(changes or data or {})}
        transaction.on_commit(lambda: notify(hook, enabled=enabled, **kwargs), robust=True)


#: The deferred effect (see :mod:`eventyay.base.services.deferred`) of order transitions.
ORDER_EFFECTS = "eventyay_tickets.order_transitions"


def order_transitions_deferred(
    *, order: Order, transitions: list[dict[str, Any]], actor: Actor = None
) -> None:
    """Record the log entries, webhooks, mails and hooks of ``transitions`` of ``order`` as ONE
    deferred row in the caller's transaction; a worker carries them out after the commit.

    Each transition takes the keyword arguments of :func:`order_transition_recorded` (without
    ``order`` and ``actor``). The log and webhook data are taken now, the order's state as of
    this transaction; mails are rendered by the worker. One ``INSERT`` instead of a log
    entry, a webhook look-up and the mail rows: what keeps the order path short.
    """
    recorded = []
    for transition in transitions:
        data = {"code": order.code, "status": order.status, **(transition.get("data") or {})}
        recorded.append({**transition, "data": data})
    defer(
        ORDER_EFFECTS,
        {
            "order": order.pk,
            "actor": actor_reference(actor),
            "at": timezone.now().isoformat(),
            "transitions": recorded,
        },
        event=order.event,
    )


@register_effect(ORDER_EFFECTS)
def _order_transitions_carry_out(effect: DeferredEffect) -> None:
    from django_scopes import scope, scopes_disabled

    from eventyay.base.models import LogEntry

    payload = effect.payload
    with scopes_disabled():
        order = Order.objects.select_related("event__organizer").filter(pk=payload["order"]).first()
    if order is None:
        return  # deleted meanwhile (data removal): nothing left to tell anyone
    event = order.event
    actor = actor_from_reference(payload.get("actor") or {})
    at = dt.datetime.fromisoformat(payload["at"])
    with scope(organizer=event.organizer):
        for transition in payload["transitions"]:
            action = transition["action"]
            entry = log_action(
                action=f"eventyay_tickets.order.{action}",
                organizer=event.organizer,
                event=event,
                obj=order,
                actor=actor,
                data=transition["data"],
            )
            if entry.datetime - at > dt.timedelta(seconds=1):
                # The audit log shows when the order changed, not when the worker came by.
                LogEntry.objects.filter(pk=entry.pk).update(datetime=at)
            if transition.get("webhook"):
                webhook_emit(
                    event=event, action=transition["webhook"], object_id=order.code, data=transition["data"]
                )
            if transition.get("mail"):
                order_mail(
                    order=order,
                    template=transition["mail"],
                    delivery_key=f"tickets:{order.pk}:{transition['mail']}:{transition.get('mail_key', '')}",
                )
            hook = transition.get("hook")
            if hook:
                enabled = event.enabled_plugin_names
                kwargs: dict[str, Any] = {"event": event, "order": order}
                if hook == "order_changed":
                    kwargs["changes"] = {
                        "action": action,
                        **(transition.get("changes") or transition["data"]),
                    }
                transaction.on_commit(partial(notify, hook, enabled=enabled, **kwargs), robust=True)
