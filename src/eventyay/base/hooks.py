"""The core's own hook implementations: core features go through the same hooks as plugins."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from eventyay.base.permissions import CORE_PERMISSIONS
from eventyay.base.plugins import TeamPermission, WebhookActionType, hookimpl


@hookimpl
def register_team_permissions() -> list[TeamPermission]:
    return list(CORE_PERMISSIONS)


@hookimpl
def register_webhook_action_types() -> list[WebhookActionType]:
    return [
        WebhookActionType("event.created", str(_("Event created"))),
        WebhookActionType("event.changed", str(_("Event changed"))),
        WebhookActionType("event.deleted", str(_("Event deleted"))),
        WebhookActionType("plugin.enabled", str(_("Plugin enabled for an event"))),
        WebhookActionType("plugin.disabled", str(_("Plugin disabled for an event"))),
        WebhookActionType("team.member.added", str(_("Team member added"))),
        WebhookActionType("team.member.removed", str(_("Team member removed"))),
    ]
