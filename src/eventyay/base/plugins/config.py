"""The app config every plugin subclasses."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, ClassVar

from django.apps import AppConfig

CATEGORIES = ("FEATURE", "PAYMENT", "INTEGRATION", "EXPORT", "CMS", "CUSTOMIZATION")
LEVELS = ("event", "organizer")


class PluginConfig(AppConfig):
    """Base class for a plugin's Django app config.

    Subclasses carry an inner ``EventyayPluginMeta`` class with at least ``name``; see the
    plugin developer guide for every field. On start-up the plugin's ``hooks`` module, if it has
    one, is registered with the hook manager under the plugin's entry-point name.
    """

    default = False
    EventyayPluginMeta: ClassVar[type]
    #: The plugin's identifier (its entry-point name); set by the manager at start-up.
    plugin_name: str = ""

    def ready(self) -> None:
        from eventyay.base.plugins.manager import register_plugin_app

        register_plugin_app(self)

    def import_optional(self, submodule: str) -> Any:
        """Import ``<plugin package>.<submodule>`` if the plugin has one, else return None."""
        full_name = f"{self.name}.{submodule}"
        if importlib.util.find_spec(full_name) is None:
            return None
        return importlib.import_module(full_name)
