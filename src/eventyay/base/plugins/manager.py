"""The hook manager: which plugins are installed, what they implement, and calling them.

``plugin_manager`` is the one pluggy manager of the process. Plugin app configs register their
``hooks`` (and optional ``hookspecs``) module in ``ready()``. :func:`hooks_for` narrows calls to
the plugins enabled for one event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pluggy
from django.conf import settings
from django.utils.translation import gettext

from eventyay.base.plugins import hookspecs
from eventyay.base.plugins.config import CATEGORIES, LEVELS, PluginConfig
from eventyay.base.plugins.markers import PROJECT_NAME

if TYPE_CHECKING:
    from eventyay.base.models import Event

logger = logging.getLogger(__name__)

#: The name under which the core registers its own hook implementations; always enabled.
CORE = "eventyay"

plugin_manager = pluggy.PluginManager(PROJECT_NAME)
plugin_manager.add_hookspecs(hookspecs)


@dataclass(frozen=True)
class PluginInfo:
    """What eventyay knows about one installed plugin."""

    name: str
    module: str
    app_label: str
    verbose_name: str
    version: str
    author: str
    category: str
    description: str
    visible: bool
    restricted: bool
    compatibility: str
    requires: tuple[str, ...]
    level: str
    settings_form: str
    distribution: str

    @property
    def display_name(self) -> str:
        """:attr:`verbose_name` in the active language, from the plugin's own catalog.

        The registry keeps the English text (the CLI, the API and logs show it); pages show
        this, translated when they render rather than once when the plugins load.
        """
        return gettext(self.verbose_name) if self.verbose_name else ""

    @property
    def display_description(self) -> str:
        """:attr:`description` in the active language (see :attr:`display_name`)."""
        return gettext(self.description) if self.description else ""

    @property
    def hooks(self) -> list[str]:
        """Names of the hooks this plugin implements."""
        module = plugin_manager.get_plugin(self.name)
        if module is None:
            return []
        return sorted(caller.name for caller in plugin_manager.get_hookcallers(module) or [] if caller.name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "verbose_name": self.verbose_name,
            "version": self.version,
            "author": self.author,
            "category": self.category,
            "description": self.description,
            "visible": self.visible,
            "restricted": self.restricted,
            "compatibility": self.compatibility,
            "compatible": True,
            "requires": list(self.requires),
            "level": self.level,
            "hooks": self.hooks,
        }


@dataclass
class Registry:
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    #: Problems found while registering hook modules, reported by the system check.
    errors: list[str] = field(default_factory=list)
    #: Extra hook modules registered under another name that follow a plugin's enabled state
    #: (see :func:`eventyay.testing.plugin.register_temporarily`).
    aliases: dict[str, str] = field(default_factory=dict)


registry = Registry()


def _plugin_name_for(app: PluginConfig) -> str:
    discovery = getattr(settings, "PLUGIN_DISCOVERY", None)
    if discovery is not None:
        for plugin in discovery.plugins:
            if plugin.module == app.name or plugin.app_config.startswith(app.name + "."):
                return plugin.name
    return app.label


def _distribution_for(name: str) -> tuple[str, str]:
    discovery = getattr(settings, "PLUGIN_DISCOVERY", None)
    if discovery is not None:
        for plugin in discovery.plugins:
            if plugin.name == name:
                return plugin.distribution, plugin.distribution_version
    return "", ""


def register_plugin_app(app: PluginConfig) -> None:
    """Record a plugin app's metadata and register its hook modules. Called from ``ready()``."""
    name = _plugin_name_for(app)
    app.plugin_name = name
    meta = app.EventyayPluginMeta
    distribution, distribution_version = _distribution_for(name)
    category = str(getattr(meta, "category", "FEATURE")).upper()
    if category not in CATEGORIES:
        registry.errors.append(
            f"Plugin {name}: unknown category {category!r} (one of {', '.join(CATEGORIES)})"
        )
    level = str(getattr(meta, "level", "event"))
    if level not in LEVELS:
        registry.errors.append(f"Plugin {name}: unknown level {level!r} (one of {', '.join(LEVELS)})")
    settings_form = getattr(meta, "settings_form", "") or ""
    if not isinstance(settings_form, str):
        settings_form = f"{settings_form.__module__}.{settings_form.__qualname__}"
    registry.plugins[name] = PluginInfo(
        name=name,
        module=app.name,
        app_label=app.label,
        verbose_name=str(getattr(meta, "name", name)),
        version=str(getattr(meta, "version", "") or distribution_version),
        author=str(getattr(meta, "author", "")),
        category=category,
        description=str(getattr(meta, "description", "")),
        visible=bool(getattr(meta, "visible", True)),
        restricted=bool(getattr(meta, "restricted", False)),
        compatibility=str(getattr(meta, "compatibility", "") or ""),
        requires=tuple(getattr(meta, "requires", ()) or ()),
        level=level,
        settings_form=settings_form,
        distribution=distribution,
    )
    spec_module = app.import_optional("hookspecs")
    if spec_module is not None:
        try:
            plugin_manager.add_hookspecs(spec_module)
        except pluggy.PluginValidationError as exc:
            registry.errors.append(f"Plugin {name}: {exc}")
    hooks_module = app.import_optional("hooks")
    if hooks_module is not None and plugin_manager.get_plugin(name) is None:
        register_hooks_module(name, hooks_module)
    clear_caches()


def register_hooks_module(name: str, module: Any) -> bool:
    """Register ``module``'s hook implementations as plugin ``name``.

    An implementation naming an argument its hook does not have is rejected by pluggy; the
    problem is recorded for the system check (``eventyay.E001``) instead of stopping start-up.
    """
    try:
        plugin_manager.register(module, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        registry.errors.append(f"Plugin {name}: {exc}")
        return False
    clear_caches()
    return True


def clear_caches() -> None:
    _subset_caller.cache_clear()
    _disabled_names.cache_clear()


def register_core_hooks() -> None:
    from eventyay.base import hooks as core_hooks

    if plugin_manager.get_plugin(CORE) is None:
        plugin_manager.register(core_hooks, name=CORE)


def installed_plugins() -> dict[str, PluginInfo]:
    """Every plugin that loaded, by name, in a stable order."""
    return dict(sorted(registry.plugins.items()))


def broken_plugins() -> list[Any]:
    """Plugins that were found but left off, with the reason."""
    discovery = getattr(settings, "PLUGIN_DISCOVERY", None)
    return list(discovery.broken) if discovery is not None else []


def plugin_report() -> list[dict[str, Any]]:
    """Every plugin found at start-up, loaded or left off, by name.

    This is what ``python -m eventyay plugins --json`` prints: ``status`` is ``ok``,
    ``incompatible`` or ``broken``, and ``error`` says why a plugin was left off.
    """
    rows = [{**info.as_dict(), "status": "ok", "error": ""} for info in installed_plugins().values()]
    for broken in broken_plugins():
        rows.append(
            {
                "name": broken.name,
                "module": broken.module,
                "verbose_name": broken.name,
                "version": "",
                "author": "",
                "category": "",
                "description": "",
                "visible": False,
                "restricted": False,
                "compatibility": "",
                "compatible": False if broken.status == "incompatible" else None,
                "requires": [],
                "level": "",
                "hooks": [],
                "status": broken.status,
                "error": broken.error,
            }
        )
    return sorted(rows, key=lambda row: row["name"])


def unknown_hook_problems() -> list[str]:
    """Describe implementations of hooks that no spec declares (typos, missing providers)."""
    problems = []
    for name, caller in vars(plugin_manager.hook).items():
        if name.startswith("_") or not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
            continue
        for impl in caller.get_hookimpls():
            if not impl.optionalhook:
                problems.append(
                    f"Plugin {impl.plugin_name} implements unknown hook {name!r} "
                    f"(in {impl.function.__module__})"
                )
    return problems


@lru_cache(maxsize=1024)
def _subset_caller(hook_name: str, disabled: frozenset[str]) -> pluggy.HookCaller:
    removed = [plugin_manager.get_plugin(name) for name in disabled]
    return plugin_manager.subset_hook_caller(hook_name, remove_plugins=[p for p in removed if p is not None])


@lru_cache(maxsize=256)
def _disabled_names(enabled: frozenset[str]) -> frozenset[str]:
    disabled = set()
    for name, _plugin in plugin_manager.list_name_plugin():
        owner = registry.aliases.get(name, name)
        if owner != CORE and owner not in enabled:
            disabled.add(name)
    return frozenset(disabled)


class EventHooks:
    """Hook callers narrowed to the plugins enabled for one event (core always included)."""

    def __init__(self, enabled: Iterable[str]) -> None:
        self.enabled = frozenset(enabled)
        self.disabled = _disabled_names(self.enabled)

    def __getattr__(self, hook_name: str) -> pluggy.HookCaller:
        if hook_name.startswith("_"):
            raise AttributeError(hook_name)
        if not hasattr(plugin_manager.hook, hook_name):
            raise AttributeError(f"No hook named {hook_name!r}")
        return _subset_caller(hook_name, self.disabled)


def hooks_for(event: Event) -> EventHooks:
    """Hook callers for ``event``: only plugins enabled there are called.

    ``hooks_for(event).event_public_sections(event=event, request=request)`` returns one list
    per plugin that implements the hook.
    """
    return EventHooks(event.enabled_plugin_names)


def call_plugin(plugin_name: str, hook_name: str, **kwargs: Any) -> list[Any]:
    """Call ``hook_name`` on one plugin only (used for ``plugin_enabled``/``plugin_disabled``)."""
    return _subset_caller(hook_name, _disabled_names(frozenset({plugin_name})) | {CORE})(**kwargs)


def notify(hook_name: str, *, enabled: Iterable[str] | None = None, **kwargs: Any) -> None:
    """Call a notification hook on each (enabled) plugin, isolating failures.

    One plugin raising is logged and does not stop the others, nor the caller. Use from
    services inside ``transaction.on_commit`` so notifications only follow committed changes.
    """
    caller = getattr(plugin_manager.hook, hook_name)
    disabled = frozenset() if enabled is None else _disabled_names(frozenset(enabled))
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        if impl.plugin_name in disabled:
            continue
        try:
            impl.function(*[kwargs[arg] for arg in impl.argnames])
        except Exception:
            logger.exception("Plugin %s failed in %s", impl.plugin_name, hook_name)


def collect_records(hook_caller: Callable[..., list[list[Any]]], **kwargs: Any) -> list[Any]:
    """Flatten the lists a ``register_*`` hook returns, keeping the first of duplicate names."""
    seen: dict[str, Any] = {}
    for result in hook_caller(**kwargs):
        for record in result or []:
            if record.name in seen:
                logger.error("Duplicate registration of %r ignored", record.name)
                continue
            seen[record.name] = record
    return list(seen.values())


def duplicate_record_problems() -> list[str]:
    problems = []
    for hook_name in ("register_team_permissions", "register_webhook_action_types", "register_oauth_scopes"):
        owners: dict[str, str] = {}
        caller = getattr(plugin_manager.hook, hook_name)
        for impl in caller.get_hookimpls():
            for record in impl.function() or []:
                if record.name in owners:
                    problems.append(
                        f"{hook_name}: {record.name!r} is registered by both "
                        f"{owners[record.name]} and {impl.plugin_name}"
                    )
                owners[record.name] = impl.plugin_name
    return problems
