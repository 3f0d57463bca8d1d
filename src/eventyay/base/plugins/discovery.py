"""Finding installed plugins through the ``eventyay.plugin`` entry-point group.

This runs while settings load, before Django is set up, so it must not import models. A plugin
whose module fails to import, or whose ``compatibility`` does not admit this eventyay, is
recorded as broken and left out of ``INSTALLED_APPS``: one bad plugin never takes the site down.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

ENTRY_POINT_GROUP = "eventyay.plugin"
#: Plugins that exist only for eventyay's own tests (the contract tests' dummy plugins, one of
#: them broken on purpose) use this group. It is read only while pytest runs (or in a command a
#: test starts with ``EVENTYAY_TEST_PLUGINS=1``), so their warnings never reach the log of an
#: instance that has them installed.
TEST_ENTRY_POINT_GROUP = "eventyay.test_plugin"


def entry_point_groups() -> list[str]:
    """The entry-point groups plugins are found in: test plugins only in test runs."""
    if "pytest" in sys.modules or os.environ.get("EVENTYAY_TEST_PLUGINS") == "1":
        return [ENTRY_POINT_GROUP, TEST_ENTRY_POINT_GROUP]
    return [ENTRY_POINT_GROUP]


@dataclass(frozen=True)
class DiscoveredPlugin:
    """One installed plugin: its identifier (the entry-point name) and where its app lives."""

    name: str
    module: str
    app_config: str
    distribution: str = ""
    distribution_version: str = ""


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that was found but left off, and why."""

    name: str
    module: str
    error: str
    #: ``incompatible`` when its ``compatibility`` excludes this eventyay, else ``broken``.
    status: str = "broken"


class IncompatiblePlugin(RuntimeError):
    """The plugin's ``compatibility`` does not admit the running eventyay."""


@dataclass
class Discovery:
    plugins: list[DiscoveredPlugin] = field(default_factory=list)
    broken: list[BrokenPlugin] = field(default_factory=list)

    @property
    def installed_apps(self) -> list[str]:
        return [plugin.app_config for plugin in self.plugins]


def _find_config_class(module_name: str, class_name: str | None) -> type:
    from eventyay.base.plugins.config import PluginConfig

    if class_name:
        module = importlib.import_module(module_name)
        config_class = getattr(module, class_name)
    else:
        importlib.import_module(module_name)
        apps_module = importlib.import_module(f"{module_name}.apps")
        candidates = [
            obj
            for obj in vars(apps_module).values()
            if inspect.isclass(obj)
            and issubclass(obj, PluginConfig)
            and obj is not PluginConfig
            and obj.__module__ == apps_module.__name__
        ]
        if len(candidates) != 1:
            raise ImportError(
                f"{module_name}.apps must define exactly one PluginConfig subclass, found {len(candidates)}"
            )
        config_class = candidates[0]
    if not (inspect.isclass(config_class) and issubclass(config_class, PluginConfig)):
        raise TypeError(f"{config_class!r} is not a subclass of eventyay.base.plugins.PluginConfig")
    return config_class


def check_compatibility(specifier: str | None, version: str) -> str | None:
    """Return why ``version`` of eventyay does not satisfy ``specifier``, or None when it does."""
    if not specifier:
        return None
    spec = specifier.strip()
    if spec.lower().startswith("eventyay"):
        spec = spec[len("eventyay") :].strip()
    try:
        specifier_set = SpecifierSet(spec)
    except InvalidSpecifier:
        return f"invalid compatibility specifier {specifier!r}"
    if not specifier_set.contains(Version(version), prereleases=True):
        return f"requires eventyay{spec}, this is {version}"
    return None


def discover_plugins(exclude: list[str] | tuple[str, ...] = ()) -> Discovery:
    from eventyay import __version__

    discovery = Discovery()
    seen: set[str] = set()
    found = [entry_point for group in entry_point_groups() for entry_point in entry_points(group=group)]
    for entry_point in sorted(found, key=lambda ep: ep.name):
        name = entry_point.name
        if name in exclude or name in seen:
            continue
        seen.add(name)
        module_name, _, class_name = entry_point.value.partition(":")
        module_name = module_name.strip()
        try:
            config_class = _find_config_class(module_name, class_name.strip() or None)
            meta = getattr(config_class, "EventyayPluginMeta", None)
            if meta is None:
                raise TypeError(f"{config_class.__name__} has no inner EventyayPluginMeta")
            problem = check_compatibility(getattr(meta, "compatibility", None), __version__)
            if problem:
                raise IncompatiblePlugin(problem)
        except IncompatiblePlugin as exc:
            discovery.broken.append(
                BrokenPlugin(name=name, module=module_name, error=str(exc), status="incompatible")
            )
            continue
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            discovery.broken.append(BrokenPlugin(name=name, module=module_name, error=detail))
            continue
        dist = entry_point.dist
        discovery.plugins.append(
            DiscoveredPlugin(
                name=name,
                module=module_name,
                app_config=f"{config_class.__module__}.{config_class.__qualname__}",
                distribution=dist.name if dist else "",
                distribution_version=dist.version if dist else "",
            )
        )
    return discovery
