"""The plugin API: everything a plugin imports from eventyay lives here.

Only what this module exports (and the documented service functions) is API.
"""

from eventyay.base.plugins.config import CATEGORIES, PluginConfig
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

__all__ = [
    "CATEGORIES",
    "DashboardWidget",
    "LogActionType",
    "NavItem",
    "OAuthScope",
    "PluginConfig",
    "PublicNavItem",
    "Section",
    "TeamPermission",
    "WebhookActionType",
    "call_plugin",
    "hookimpl",
    "hooks_for",
    "hookspec",
    "installed_plugins",
    "notify",
    "plugin_manager",
]


def __getattr__(name: str):
    if name in {
        "hooks_for",
        "plugin_manager",
        "installed_plugins",
        "notify",
        "call_plugin",
        "collect_records",
    }:
        from eventyay.base.plugins import manager

        return getattr(manager, name)
    raise AttributeError(name)
