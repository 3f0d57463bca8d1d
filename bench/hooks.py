"""Benchmark: plugin hook dispatch overhead and plugin-related queries per request.

Registers 20 synthetic plugins in-process (each implementing ``event_public_sections`` and
``event_created``), switches 10 of them on for an event, and measures

- the time per hook call through ``hooks_for(event)`` against plain pluggy calls of the same
  implementations, and ``notify`` for notifications;
- the database queries of an event's front page and of a plugin page, counting those that
  read the plugin state, with and without plugins switched on.

Run from the repository root (a throwaway test database is created and dropped)::

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench .venv/bin/python bench/hooks.py

With ``EVENTYAY_DB_URL`` and ``EVENTYAY_REDIS_URL`` set, it runs on PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import types
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

import django

django.setup()

import pluggy  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django_scopes import scope  # noqa: E402

from eventyay.base.models import Event, EventPlugin  # noqa: E402
from eventyay.base.plugins import Section, hookimpl, hooks_for, hookspec, notify, plugin_manager  # noqa: E402
from eventyay.base.plugins import hookspecs as core_hookspecs  # noqa: E402
from eventyay.base.plugins.manager import clear_caches  # noqa: E402
from eventyay.base.plugins.markers import PROJECT_NAME  # noqa: E402

INSTALLED = 20
ENABLED = 10
PLUGIN_STATE_TABLE = "eventyay_base_eventplugin"

assert hookspec  # the marker is part of the plugin API imported above


def synthetic_hooks(index: int) -> types.ModuleType:
    """A hooks module like a small plugin's: one section, one notification."""
    module = types.ModuleType(f"bench_plugin_{index:02d}.hooks")
    sections = [Section(title=f"Synthetic {index:02d}", html="", key=f"synthetic-{index:02d}")]

    @hookimpl
    def event_public_sections(event: Any, request: Any) -> list[Section]:
        return sections

    @hookimpl
    def event_created(event: Any) -> None:
        return None

    module.event_public_sections = event_public_sections  # type: ignore[attr-defined]
    module.event_created = event_created  # type: ignore[attr-defined]
    return module


def per_call_us(scenarios: dict[str, Callable[[], Any]], calls: int, repeats: int) -> dict[str, float]:
    """Time per call in microseconds, best of ``repeats`` runs for each scenario.

    The scenarios take turns within every round, so a burst of load on a shared machine
    disturbs all of them alike instead of one; the best run is the least disturbed.
    """
    runs: dict[str, list[float]] = {label: [] for label in scenarios}
    for _ in range(repeats):
        for label, function in scenarios.items():
            start = time.perf_counter()
            for _ in range(calls):
                function()
            runs[label].append((time.perf_counter() - start) / calls * 1e6)
    return {label: min(values) for label, values in runs.items()}


def isolated_manager(modules: list[types.ModuleType]) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(core_hookspecs)
    for index, module in enumerate(modules):
        manager.register(module, name=f"bench_{index:02d}")
    return manager


def measure_dispatch(
    modules: list[types.ModuleType], enabled: list[str], calls: int, repeats: int
) -> list[tuple]:
    event = Event(slug="bench")
    # The enabled set is memoised on the event instance; here it is set without a database.
    event.__dict__["enabled_plugin_names"] = frozenset(enabled)
    request = object()
    only_enabled = isolated_manager(modules[:ENABLED]).hook.event_public_sections
    all_installed = isolated_manager(modules).hook.event_public_sections
    assert len(hooks_for(event).event_public_sections(event=event, request=request)) == ENABLED
    reused = hooks_for(event)

    scenarios = {
        f"pluggy, {ENABLED} plugins registered (floor)": lambda: only_enabled(event=event, request=request),
        f"pluggy, all {INSTALLED} plugins registered": lambda: all_installed(event=event, request=request),
        f"hooks_for(event), {ENABLED} of {INSTALLED} enabled": lambda: hooks_for(event).event_public_sections(
            event=event, request=request
        ),
        "same, hooks_for(event) reused": lambda: reused.event_public_sections(event=event, request=request),
        f"notify('event_created'), {ENABLED} enabled": lambda: notify(
            "event_created", enabled=enabled, event=event
        ),
    }
    return list(per_call_us(scenarios, calls, repeats).items())


def count_queries(client: Client, path: str) -> tuple[int, int, float]:
    client.get(path)  # warm caches (templates, URL resolver) first
    with CaptureQueriesContext(connection) as context:
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.status_code)
    queries = context.captured_queries
    return len(queries), sum(PLUGIN_STATE_TABLE in query["sql"] for query in queries), elapsed


def measure_queries(enabled: list[str]) -> list[tuple]:
    from eventyay.base.services.events import event_create
    from eventyay.base.services.organizers import organizer_create

    organizer = organizer_create(name="Bench", slug="bench")
    data = {"date_from": dt.datetime(2030, 6, 1, 9, tzinfo=dt.UTC), "live": True}
    with scope(organizer=organizer):
        plugged = event_create(
            organizer=organizer,
            data={**data, "name": {"en": "With plugins"}, "slug": "with-plugins"},
            plugins=["dummy"],
            is_admin=True,
        )
        EventPlugin.objects.bulk_create(
            EventPlugin(event=plugged, name=name, enabled=True) for name in enabled
        )
        event_create(organizer=organizer, data={**data, "name": {"en": "No plugins"}, "slug": "no-plugins"})
    client = Client()
    rows = []
    for label, path in (
        (f"front page, {ENABLED} synthetic + dummy enabled", "/bench/with-plugins/"),
        ("front page, no plugins enabled", "/bench/no-plugins/"),
        ("plugin page (dummy)", "/bench/with-plugins/dummy/"),
    ):
        total, plugin_state, elapsed = count_queries(client, path)
        rows.append((label, path, total, plugin_state, elapsed))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000, help="hook calls per timing run")
    parser.add_argument("--repeats", type=int, default=5, help="timing runs (the best is reported)")
    parser.add_argument("--quick", action="store_true", help="short timing runs, to check the script works")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.repeats = 1000, 2

    modules = [synthetic_hooks(index) for index in range(INSTALLED)]
    names = [f"bench_plugin_{index:02d}" for index in range(INSTALLED)]
    for name, module in zip(names, modules, strict=True):
        plugin_manager.register(module, name=name)
    clear_caches()
    enabled = names[:ENABLED]

    dispatch = measure_dispatch(modules, enabled, args.calls, args.repeats)
    print(f"Hook dispatch: event_public_sections, {INSTALLED} installed, {ENABLED} enabled")
    print(f"  {'call':<46} {'µs/call':>8}")
    for label, micros in dispatch:
        print(f"  {label:<46} {micros:>8.2f}")
    overhead = dispatch[2][1] - dispatch[0][1]
    print(f"  {'per-event dispatch overhead per call':<46} {overhead:>8.2f}")

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        queries = measure_queries(enabled)
    finally:
        teardown_databases(databases, verbosity=0)
    engine = connection.vendor
    print()
    print(f"Queries per request ({engine})")
    print(f"  {'request':<44} {'queries':>7} {'plugin state':>12} {'ms':>6}")
    for label, _path, total, plugin_state, elapsed in queries:
        print(f"  {label:<44} {total:>7} {plugin_state:>12} {elapsed:>6.1f}")
    if any(row[3] > 1 for row in queries):
        print("More than one plugin-state query in a request.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
