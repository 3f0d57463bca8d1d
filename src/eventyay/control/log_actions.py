"""Audit log actions in words: ``eventyay_tickets.order.paid`` is shown as "Marked as paid".

Core labels live here; plugins add theirs with the ``register_log_action_types`` hook. An action
nobody registered is still shown in words, made from the last parts of its name, so no page
ever shows a raw action name.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins.manager import collect_records, plugin_manager
from eventyay.base.plugins.records import LogActionType

CORE_ACTIONS: tuple[LogActionType, ...] = (
    LogActionType("eventyay.organizer.created", _("Organizer created")),
    LogActionType("eventyay.organizer.changed", _("Organizer settings changed")),
    LogActionType("eventyay.event.created", _("Event created")),
    LogActionType("eventyay.event.changed", _("Event settings changed")),
    LogActionType("eventyay.event.cloned", _("Event cloned")),
    LogActionType("eventyay.event.deleted", _("Event deleted")),
    LogActionType("eventyay.event.plugin.enabled", _("Plugin switched on")),
    LogActionType("eventyay.event.plugin.disabled", _("Plugin switched off")),
    LogActionType("eventyay.event.plugin.settings.changed", _("Plugin settings changed")),
    LogActionType("eventyay.team.created", _("Team created")),
    LogActionType("eventyay.team.changed", _("Team changed")),
    LogActionType("eventyay.team.deleted", _("Team deleted")),
    LogActionType("eventyay.team.member.added", _("Team member added")),
    LogActionType("eventyay.team.member.removed", _("Team member removed")),
    LogActionType("eventyay.team.invite.created", _("Team invitation sent")),
    LogActionType("eventyay.team.invite.deleted", _("Team invitation withdrawn")),
    LogActionType("eventyay.team.token.created", _("API token created")),
    LogActionType("eventyay.team.token.revoked", _("API token revoked")),
    LogActionType("eventyay.webhook.created", _("Webhook created")),
    LogActionType("eventyay.webhook.deleted", _("Webhook deleted")),
    LogActionType("eventyay.webhook.disabled", _("Webhook disabled")),
    LogActionType("eventyay.webhook.delivery.retried", _("Webhook delivery retried")),
    LogActionType("eventyay.user.signed_up", _("Signed up")),
    LogActionType("eventyay.user.settings.changed", _("Account settings changed")),
    LogActionType("eventyay.user.password.reset_requested", _("Password reset requested")),
    LogActionType("eventyay.user.2fa.enabled", _("Two-factor authentication enabled")),
    LogActionType("eventyay.user.2fa.disabled", _("Two-factor authentication disabled")),
    LogActionType("eventyay.user.2fa.backup_codes", _("New backup codes created")),
    LogActionType("eventyay.export.scheduled", _("Export scheduled")),
    LogActionType("eventyay.export.unscheduled", _("Scheduled export removed")),
    LogActionType("eventyay.organizer.plugin.enabled", _("Plugin switched on for the organizer")),
    LogActionType("eventyay.organizer.plugin.disabled", _("Plugin switched off for the organizer")),
)


def action_labels() -> dict[str, Any]:
    """Every registered action name and its label (core first; a plugin cannot relabel it)."""
    labels: dict[str, Any] = {record.name: record.label for record in CORE_ACTIONS}
    for record in collect_records(plugin_manager.hook.register_log_action_types):
        labels.setdefault(record.name, record.label)
    return labels


def humanize(name: str) -> str:
    """Words for an action nobody registered: ``x.product.created`` reads "Product created"."""
    parts = [part for part in name.split(".") if part][-2:]
    text = " ".join(parts).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def action_label(name: str, labels: dict[str, Any] | None = None) -> str:
    """The words for one action name."""
    labels = action_labels() if labels is None else labels
    label = labels.get(name)
    return str(label) if label is not None else humanize(name)
