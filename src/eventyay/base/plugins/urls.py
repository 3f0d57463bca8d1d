"""Mounting plugin URLs by convention.

A plugin's ``urls`` module may export ``event_patterns`` (under ``/<organizer>/<event>/``),
``control_patterns`` (under ``/control/event/<organizer>/<event>/``) and ``urlpatterns``
(global); its ``api.urls`` module may export ``event_patterns`` (under
``/api/v1/organizers/<organizer>/events/<event>/``) and ``organizer_patterns`` (under
``/api/v1/organizers/<organizer>/``). Everything is namespaced ``plugins:<plugin name>``
(API routes ``plugins:<plugin name>:api``), which is how the tenant middleware knows to answer
404 where the plugin is off.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any

from django.urls import URLResolver, include, path

from eventyay.base.plugins.manager import installed_plugins, registry

logger = logging.getLogger(__name__)

EVENT_PREFIX = "<organizer:organizer>/<slug:event>/"
CONTROL_EVENT_PREFIX = "control/event/<slug:organizer>/<slug:event>/"
API_ORGANIZER_PREFIX = "api/v1/organizers/<slug:organizer>/"
API_EVENT_PREFIX = API_ORGANIZER_PREFIX + "events/<slug:event>/"


def _optional_module(name: str) -> Any:
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def plugin_urlpatterns() -> list[Any]:
    per_plugin = []
    for name, info in installed_plugins().items():
        try:
            patterns = _patterns_of(info.module)
        except Exception as exc:
            # One plugin whose URL modules fail to import must not take every page down: its
            # URLs are left out, and the log and the system check (eventyay.E001) say why.
            logger.exception("URLs of plugin %s are left out", name)
            registry.errors.append(
                f"Plugin {name}: its URLs could not be loaded: {type(exc).__name__}: {exc}"
            )
            continue
        if patterns:
            per_plugin.append(path("", include((patterns, name))))
    return [path("", include((per_plugin, "plugins")))]


def _patterns_of(module: str) -> list[Any]:
    patterns: list[Any] = []
    urls = _optional_module(f"{module}.urls")
    if urls is not None:
        if getattr(urls, "control_patterns", None):
            patterns.append(path(CONTROL_EVENT_PREFIX, include(urls.control_patterns)))
        if getattr(urls, "event_patterns", None):
            patterns.append(path(EVENT_PREFIX, include(urls.event_patterns)))
        patterns.extend(getattr(urls, "urlpatterns", []))
    api_urls = _optional_module(f"{module}.api.urls")
    if api_urls is not None:
        api_patterns: list[Any] = []
        if getattr(api_urls, "event_patterns", None):
            api_patterns.append(path(API_EVENT_PREFIX, include(api_urls.event_patterns)))
        if getattr(api_urls, "organizer_patterns", None):
            api_patterns.append(path(API_ORGANIZER_PREFIX, include(api_urls.organizer_patterns)))
        if api_patterns:
            patterns.append(path("", include((api_patterns, "api"))))
    return patterns


def plugin_websocket_urlpatterns() -> list[Any]:
    patterns: list[Any] = []
    for info in installed_plugins().values():
        routing = _optional_module(f"{info.module}.routing")
        if routing is not None:
            patterns.extend(getattr(routing, "websocket_urlpatterns", []))
    return patterns


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    routes: list[str] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(_routes(pattern.url_patterns, route))
        else:
            routes.append(route)
    return routes


def route_collisions() -> list[str]:
    """Routes that two plugins both mount: on an event with both on, one would shadow the other."""
    owners: dict[str, str] = {}
    problems = []
    for name, info in installed_plugins().items():
        try:
            routes = set(_routes(_patterns_of(info.module)))
        except Exception:
            continue
        for route in sorted(routes):
            owner = owners.setdefault(route, name)
            if owner != name:
                problems.append(f"Plugins {owner} and {name} both mount the URL {route!r}")
    return problems
