"""The public surface a plugin may import: only what this module names is API.

Everything here is documented in the plugin guide (``doc/plugins/api.rst``) and keeps its
signature within a major version of eventyay; anything else in eventyay may change without
notice. Import from here, or from the modules the names live in (both stay valid)::

    from eventyay.plugin_api import EventViewMixin, webhook_emit

The plugin framework itself (``PluginConfig``, ``hookimpl`` and the records) is importable from
``eventyay.base.plugins`` too, which is what a plugin's ``apps.py`` uses: it is imported while
the settings load, before Django is set up, and this module's other names need Django.

Names are resolved on first use, so importing this module never loads models early.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Every name of the public surface and the module it lives in.
PUBLIC_NAMES: dict[str, str] = {
    # The plugin framework
    "PluginConfig": "eventyay.base.plugins.config",
    "hookimpl": "eventyay.base.plugins.markers",
    "hookspec": "eventyay.base.plugins.markers",
    "Section": "eventyay.base.plugins.records",
    "NavItem": "eventyay.base.plugins.records",
    "DashboardWidget": "eventyay.base.plugins.records",
    "LogActionType": "eventyay.base.plugins.records",
    "PublicNavItem": "eventyay.base.plugins.records",
    "TeamPermission": "eventyay.base.plugins.records",
    "WebhookActionType": "eventyay.base.plugins.records",
    "OAuthScope": "eventyay.base.plugins.records",
    "hooks_for": "eventyay.base.plugins.manager",
    "notify": "eventyay.base.plugins.manager",
    "call_plugin": "eventyay.base.plugins.manager",
    "installed_plugins": "eventyay.base.plugins.manager",
    # Per-event plugin settings
    "event_plugin_settings": "eventyay.base.services.plugins",
    "event_plugin_settings_update": "eventyay.base.services.plugins",
    # Webhooks, mail and the audit log
    "webhook_emit": "eventyay.base.services.webhooks",
    "mail_queue": "eventyay.base.services.mail",
    "log_action": "eventyay.base.services.log",
    "log_actions": "eventyay.base.services.log",
    "changes": "eventyay.base.services.log",
    # Database
    "bulk_update_rows": "eventyay.base.bulk",
    "local_setting": "eventyay.base.sql",
    # Background work
    "job_queue": "eventyay.base.services.jobs",
    "JobFailed": "eventyay.base.services.jobs",
    "ProgressWriter": "eventyay.base.services.jobs",
    "claim_due": "eventyay.base.services.outbox",
    "defer": "eventyay.base.services.deferred",
    "register_effect": "eventyay.base.services.deferred",
    # Outgoing HTTP to addresses organizers typed
    "outgoing_request": "eventyay.base.services.http",
    "OutgoingResponse": "eventyay.base.services.http",
    "OutgoingRequestError": "eventyay.base.services.http",
    "OutgoingRequestRefused": "eventyay.base.services.http",
    "OutgoingRequestFailed": "eventyay.base.services.http",
    # The public page cache
    "content_version_bump": "eventyay.base.services.cache",
    "content_version": "eventyay.base.services.cache",
    "cache_public_page": "eventyay.base.services.cache",
    "one_builder": "eventyay.base.services.cache",
    # Private files and secrets
    "get_private_storage": "eventyay.base.storage",
    "serve_private_file": "eventyay.base.storage",
    "unguessable_name": "eventyay.base.storage",
    "secret_encrypt": "eventyay.base.secrets",
    "secret_decrypt": "eventyay.base.secrets",
    "SecretFormField": "eventyay.base.secrets",
    # API views
    "OrganizerViewMixin": "eventyay.api.mixins",
    "EventViewMixin": "eventyay.api.mixins",
    "OrganizerPermission": "eventyay.api.permissions",
    "EventPermission": "eventyay.api.permissions",
    "actor_of": "eventyay.api.views",
    # Control panel pages
    "event_view": "eventyay.control.permissions",
    "organizer_view": "eventyay.control.permissions",
    "page_of": "eventyay.control.pagination",
}

__all__ = [
    "DashboardWidget",
    "EventPermission",
    "EventViewMixin",
    "JobFailed",
    "LogActionType",
    "NavItem",
    "OAuthScope",
    "OrganizerPermission",
    "OrganizerViewMixin",
    "OutgoingRequestError",
    "OutgoingRequestFailed",
    "OutgoingRequestRefused",
    "OutgoingResponse",
    "PluginConfig",
    "ProgressWriter",
    "PublicNavItem",
    "SecretFormField",
    "Section",
    "TeamPermission",
    "WebhookActionType",
    "actor_of",
    "bulk_update_rows",
    "cache_public_page",
    "call_plugin",
    "changes",
    "claim_due",
    "content_version",
    "content_version_bump",
    "defer",
    "event_plugin_settings",
    "event_plugin_settings_update",
    "event_view",
    "get_private_storage",
    "hookimpl",
    "hooks_for",
    "hookspec",
    "installed_plugins",
    "job_queue",
    "local_setting",
    "log_action",
    "log_actions",
    "mail_queue",
    "notify",
    "one_builder",
    "organizer_view",
    "outgoing_request",
    "page_of",
    "register_effect",
    "secret_decrypt",
    "secret_encrypt",
    "serve_private_file",
    "unguessable_name",
    "webhook_emit",
]

if TYPE_CHECKING:
    from eventyay.api.mixins import EventViewMixin, OrganizerViewMixin
    from eventyay.api.permissions import EventPermission, OrganizerPermission
    from eventyay.api.views import actor_of
    from eventyay.base.bulk import bulk_update_rows
    from eventyay.base.plugins.config import PluginConfig
    from eventyay.base.plugins.manager import call_plugin, hooks_for, installed_plugins, notify
    from eventyay.base.plugins.markers import hookimpl, hookspec
    from eventyay.base.plugins.records import (
        DashboardWidget,
        LogActionType,
        NavItem,
        OAuthScope,
        PublicNavItem,
        Section,
        TeamPermission,
        WebhookActionType,
    )
    from eventyay.base.secrets import SecretFormField, secret_decrypt, secret_encrypt
    from eventyay.base.services.cache import (
        cache_public_page,
        content_version,
        content_version_bump,
        one_builder,
    )
    from eventyay.base.services.deferred import defer, register_effect
    from eventyay.base.services.http import (
        OutgoingRequestError,
        OutgoingRequestFailed,
        OutgoingRequestRefused,
        OutgoingResponse,
        outgoing_request,
    )
    from eventyay.base.services.jobs import JobFailed, ProgressWriter, job_queue
    from eventyay.base.services.log import changes, log_action, log_actions
    from eventyay.base.services.mail import mail_queue
    from eventyay.base.services.outbox import claim_due
    from eventyay.base.services.plugins import event_plugin_settings, event_plugin_settings_update
    from eventyay.base.services.webhooks import webhook_emit
    from eventyay.base.sql import local_setting
    from eventyay.base.storage import get_private_storage, serve_private_file, unguessable_name
    from eventyay.control.pagination import page_of
    from eventyay.control.permissions import event_view, organizer_view


def __getattr__(name: str) -> Any:
    module = PUBLIC_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *PUBLIC_NAMES})
