"""pytest plugin shipped with eventyay: fixtures for core and plugin tests.

Installed with eventyay (entry point ``pytest11``), so a plugin's own test suite gets these
fixtures with no conftest: ``organizer``, ``user``, ``admin_team``, ``event``, ``make_event``,
``event_with_plugins``, ``event_without_plugins``, ``api_token``, ``api_client``,
``client_for``, ``team_with_permissions``, ``api_client_with_permissions``,
``captured_webhooks``, ``captured_mails`` and :func:`register_temporarily`. Test runs use a
temporary data directory unless ``EVENTYAY_DATA_DIR`` (or the config file) names one.

Tests marked ``services`` need the real PostgreSQL and Redis; they skip (with a reason) on
the embedded defaults and, with ``EVENTYAY_REQUIRE_SERVICES=1``, any skip fails the run.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import tempfile
import types
from collections.abc import Callable, Generator, Iterator
from typing import Any
from unittest import mock

import pytest

from eventyay.config.env import Config
from eventyay.testing.xdist import redis_url_for_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")
if not Config().get("data_dir"):
    # Without a data directory the settings would create ./data (with a secret key) in the
    # directory pytest runs in, such as a plugin's checkout: test runs get a temporary one.
    os.environ["EVENTYAY_DATA_DIR"] = tempfile.mkdtemp(prefix="eventyay-tests-")
    atexit.register(shutil.rmtree, os.environ["EVENTYAY_DATA_DIR"], ignore_errors=True)
# Test processes that run at the same time on one machine are kept apart: pytest-xdist
# workers (gw0, gw1, ...) and whole sessions started side by side (``make test`` runs core and
# each plugin distribution as sessions of their own, two at a time; it numbers them with
# ``EVENTYAY_TEST_SLOT``). Each gets its own data directory (mail files, media and compressed
# static bundles), its own Redis database and its own test database (``pytest_configure``).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SLOT = int(os.environ.get("EVENTYAY_TEST_SLOT") or 0)
_PARALLEL_INDEX = _SLOT + int(_WORKER.removeprefix("gw") or 0)
_PARALLEL_NAME = "_".join(part for part in (f"s{_SLOT}" if _SLOT else "", _WORKER) if part)
if _PARALLEL_NAME:
    os.environ["EVENTYAY_DATA_DIR"] = os.path.join(
        os.environ.get("EVENTYAY_DATA_DIR") or os.path.join(os.getcwd(), "data"), _PARALLEL_NAME
    )
if _PARALLEL_INDEX:
    for _name in (
        "EVENTYAY_REDIS_URL",
        "EVENTYAY_REDIS_CACHE_URL",
        "EVENTYAY_REDIS_CHANNELS_URL",
        "EVENTYAY_REDIS_BROKER_URL",
    ):
        if os.environ.get(_name):
            os.environ[_name] = redis_url_for_process(os.environ[_name], _PARALLEL_INDEX)

# Fixtures of this plugin, kept in a module of their own.
from eventyay.testing.capture import (  # noqa: E402 (after the environment is set up above)
    api_client_with_permissions,
    captured_mails,
    captured_webhooks,
    event_without_plugins,
    team_with_permissions,
)

__all__ = [
    "api_client_with_permissions",
    "captured_mails",
    "captured_webhooks",
    "event_without_plugins",
    "register_temporarily",
    "team_with_permissions",
]


def pytest_configure(config: pytest.Config) -> None:
    if _SLOT:
        # pytest-django names xdist workers' test databases itself (``test_x_gw1``); a session
        # slot adds its own suffix, so that sessions running side by side never share one.
        from pytest_django.fixtures import _set_suffix_to_test_databases

        _set_suffix_to_test_databases(suffix=f"s{_SLOT}")
    config.addinivalue_line("markers", "services: needs the real PostgreSQL and Redis")
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright")
    config.addinivalue_line("markers", "plugins(*names): plugins to enable on the event_with_plugins fixture")


def services_available() -> bool:
    from django.conf import settings

    return bool(settings.DATABASE_IS_POSTGRES and settings.REDIS_URL)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if services_available():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis: set EVENTYAY_DB_URL and EVENTYAY_REDIS_URL")
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Append this session's outcome counts to the file named by ``EVENTYAY_TEST_COUNTS``.

    CI runs several pytest sessions per database mode and reads these lines to fail a mode in
    which nothing ran (a broken collection or an empty selection passes silently otherwise).
    """
    path = os.environ.get("EVENTYAY_TEST_COUNTS")
    if not path or hasattr(config, "workerinput"):
        return
    outcomes = ("passed", "failed", "skipped", "error", "xfailed", "xpassed")
    node_ids = {
        outcome: {
            report.nodeid for report in terminalreporter.stats.get(outcome, []) if hasattr(report, "nodeid")
        }
        for outcome in outcomes
    }
    counts = {outcome: len(ids) for outcome, ids in node_ids.items()}
    counts["tests"] = len(set().union(*node_ids.values()))
    line = {"session": str(config.rootpath), "exitstatus": int(exitstatus), **counts}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("EVENTYAY_REQUIRE_SERVICES") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped although EVENTYAY_REQUIRE_SERVICES=1: {report.longrepr}"


# --- Celery ------------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _celery_tasks_run_eagerly() -> Iterator[None]:
    """Tasks run in the test's own thread, also when a Redis broker is configured.

    Then a test sees the effect of ``transaction.on_commit(task.delay)`` at once; the real
    broker and worker path is exercised by the tests that request ``celery_worker_real``.
    Each test process gets its own queue, so parallel runs (pytest-xdist, or two people on
    one Redis database) never execute each other's tasks against the wrong test database.
    """
    from eventyay.config.celery import app

    names = ("task_always_eager", "task_eager_propagates", "task_default_queue")
    previous = {name: app.conf[name] for name in names}
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    app.conf.task_default_queue = f"eventyay-tests-{os.getpid()}"
    yield
    for name, value in previous.items():
        app.conf[name] = value


@pytest.fixture(scope="session")
def _celery_worker_thread(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """One in-process worker for the session, started by the first test that needs it."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from eventyay.config.celery import app

    def close_worker_connections(**kwargs: Any) -> None:
        # Each worker thread opens its own database connection; left open, it would keep the
        # test database from being flushed or dropped.
        connections.close_all()

    hijack = app.conf.worker_hijack_root_logger
    app.conf.worker_hijack_root_logger = False
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with (
            django_db_blocker.unblock(),
            start_worker(
                app,
                pool="threads",
                concurrency=2,
                perform_ping_check=False,
                loglevel="WARNING",
                shutdown_timeout=20,
            ) as worker,
        ):
            yield worker
    finally:
        task_postrun.disconnect(close_worker_connections)
        app.conf.worker_hijack_root_logger = hijack


@pytest.fixture
def celery_worker_real(transactional_db: None, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A real Celery worker (threads, in this process) consuming from the Redis broker.

    Only with PostgreSQL and Redis configured (mark the test ``services``); while the fixture
    is active, tasks go through the broker instead of running eagerly. The test must use
    ``django_db(transaction=True)`` so the worker's own connection sees committed rows.
    """
    if not services_available():
        pytest.skip("a real Celery worker needs the Redis broker: set EVENTYAY_REDIS_URL and EVENTYAY_DB_URL")
    from eventyay.config.celery import app

    worker = request.getfixturevalue("_celery_worker_thread")
    app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        app.conf.task_always_eager = True


@contextlib.contextmanager
def register_temporarily(plugin_name: str, **hook_functions: Callable[..., Any]) -> Iterator[Any]:
    """Register hook implementations for the duration of a ``with`` block.

    ``plugin_name`` is how the manager knows the implementation: use the name of an installed
    plugin to have it follow that plugin's per-event state, or a new name (treated as a plugin
    that is disabled everywhere, unless it is ``"eventyay"``, the always-on core)::

        with register_temporarily("eventyay", event_public_sections=lambda event, request: [...]):
            ...
    """
    from django.core.cache import cache

    from eventyay.base.plugins.manager import clear_caches, plugin_manager, registry
    from eventyay.base.plugins.markers import hookimpl

    module = types.ModuleType(f"eventyay_temporary_{plugin_name}")
    for hook_name, function in hook_functions.items():
        setattr(module, hook_name, hookimpl(specname=hook_name)(function))
    registered_name = f"{plugin_name}:temporary:{id(module)}"
    plugin_manager.register(module, name=registered_name)
    # The temporary module follows the named plugin's enabled state.
    registry.aliases[registered_name] = plugin_name
    clear_caches()
    # The hooks change what pages show: pages cached before (or during) the block are stale.
    cache.clear()
    try:
        yield module
    finally:
        plugin_manager.unregister(module)
        registry.aliases.pop(registered_name, None)
        clear_caches()
        cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _live_server_bound_by_the_pool() -> Iterator[None]:
    """Django's live server takes no more requests at once than the database pool serves,
    less the test's own connection (see :func:`eventyay.testing.servers.pool_bound_wsgi_server`)."""
    from django.conf import settings
    from django.test.testcases import LiveServerThread

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if not pool:
        yield
        return
    from eventyay.testing.servers import pool_bound_wsgi_server

    previous = LiveServerThread.server_class  # type: ignore[attr-defined]
    LiveServerThread.server_class = pool_bound_wsgi_server(max(1, int(pool["max_size"]) - 1))  # type: ignore[attr-defined]
    yield
    LiveServerThread.server_class = previous  # type: ignore[attr-defined]


# --- Name resolution ---------------------------------------------------------------------------

#: Host names that resolve in tests, through the machine's own resolver (its hosts file).
LOCAL_HOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def _is_address_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


@pytest.fixture(scope="session", autouse=True)
def _offline_name_resolution() -> Iterator[None]:
    """Only ``localhost`` and address literals resolve; any other host name fails at once.

    Saving a webhook, a video server or a CMS connection resolves its host to refuse private
    addresses. Left to the machine's resolver, a test's ``webhook.example.org`` would depend on
    the network: answered in milliseconds on one machine, after a resolver timeout of seconds
    on another, and the API fuzzing run saves hundreds of generated host names. A test that
    needs a name to resolve patches ``socket.getaddrinfo`` itself, over this one.
    """
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if name is None or name.lower().rstrip(".") in LOCAL_HOST_NAMES or _is_address_literal(name):
            return real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"{name}: only localhost resolves in tests")

    with mock.patch("socket.getaddrinfo", getaddrinfo):
        yield


@pytest.fixture(autouse=True)
def _fresh_page_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give each test its own page-cache keys: event ids repeat between tests, the cache does not."""
    import uuid

    from eventyay.base.services import cache as page_cache

    monkeypatch.setattr(page_cache, "KEY_NAMESPACE", f"t{uuid.uuid4().hex[:12]}:")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Start and leave each test in the default language.

    A request in German (or a test that activates it) leaves the language active in its thread,
    and the next test of the same process would read its messages in German.
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def user(db: Any) -> Any:
    from eventyay.base.models import User

    return User.objects.create_user("member@example.org", "correct horse battery", fullname="Team Member")


@pytest.fixture
def organizer(db: Any, user: Any) -> Any:
    from eventyay.base.services.organizers import organizer_create

    return organizer_create(name="Example Org", slug="example", creator=user)


@pytest.fixture
def admin_team(organizer: Any) -> Any:
    from django_scopes import scopes_disabled

    with scopes_disabled():
        return organizer.teams.get(name="Administrators")


@pytest.fixture
def make_event(organizer: Any) -> Callable[..., Any]:
    """``make_event(slug="conf", plugins=["talk"], organizer=None, **fields)`` creates an event."""
    from django_scopes import scope

    from eventyay.base.services.events import event_create

    def factory(slug: str = "conf", plugins: list[str] | tuple[str, ...] = (), **fields: Any) -> Any:
        org = fields.pop("organizer", organizer)
        data = {
            "name": {"en": f"Conference {slug}"},
            "slug": slug,
            "date_from": dt.datetime(2030, 6, 1, 9, 0, tzinfo=dt.UTC),
            "date_to": dt.datetime(2030, 6, 3, 18, 0, tzinfo=dt.UTC),
            "live": True,
            **fields,
        }
        with scope(organizer=org):
            return event_create(organizer=org, data=data, plugins=plugins, is_admin=True)

    return factory


@pytest.fixture
def event(make_event: Callable[..., Any]) -> Any:
    return make_event()


@pytest.fixture
def event_with_plugins(make_event: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    """An event with the plugins given by ``@pytest.mark.plugins("tickets", ...)`` enabled."""
    marker = request.node.get_closest_marker("plugins")
    plugins = marker.args if marker else ()
    return make_event(slug="plugged", plugins=plugins)


@pytest.fixture
def api_token(admin_team: Any) -> str:
    """The secret of an all-permission API token of the organizer's administrators team."""
    from django_scopes import scope

    from eventyay.base.services.teams import token_create

    with scope(organizer=admin_team.organizer):
        _token, secret = token_create(team=admin_team, name="tests")
    return secret


@pytest.fixture
def api_client(api_token: str) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token}")
    return client


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Any]:
    """``client_for(user)``: a Django test client logged in as ``user``."""
    from django.test import Client

    def factory(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return factory


@pytest.fixture
def other_organizer(db: Any) -> Any:
    """A second organizer with its own member and event, for tenancy tests."""
    from django_scopes import scope

    from eventyay.base.models import User
    from eventyay.base.services.events import event_create
    from eventyay.base.services.organizers import organizer_create

    outsider = User.objects.create_user("outsider@example.net", "another horse battery")
    org = organizer_create(name="Other Org", slug="other", creator=outsider)
    with scope(organizer=org):
        event_create(
            organizer=org,
            data={
                "name": {"en": "Other Conference"},
                "slug": "otherconf",
                "date_from": dt.datetime(2030, 7, 1, 9, 0, tzinfo=dt.UTC),
                "live": True,
            },
            is_admin=True,
        )
    org.member = outsider  # type: ignore[attr-defined]
    return org


#: Flags for Debian's Chromium in a container: no sandbox (root), and no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@contextlib.contextmanager
def launched_chromium(args: list[str] | None = None) -> Iterator[Any]:
    """Debian's Chromium, headless, launched through Playwright's sync API (``chromium`` below).

    ``args`` replaces :data:`CHROMIUM_ARGS` (pass them along with your own). Skips the test with
    the reason when the browser or Playwright is missing; never downloads a browser.
    """
    from pathlib import Path

    from django.db import connections

    executable = os.environ.get("EVENTYAY_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.skip(
            f"Chromium not found at {executable} (install Debian's chromium or set EVENTYAY_CHROMIUM)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in tests stay sync.
    with (
        mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}),
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS if args is None else args
        )
        try:
            yield browser
        finally:
            browser.close()
            # Playwright hands control back to the test from inside its event loop, so the test
            # body runs in another context than the fixtures set up before the browser.
            # Django keeps database connections per context: the test's queries opened a
            # connection of their own, which the test database's teardown never sees. Left
            # open, it would keep a connection of the pool taken for the rest of the session.
            connections.close_all()


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by Playwright's sync API, for tests marked ``browser``.

    Uses the browser at ``EVENTYAY_CHROMIUM`` (default ``/usr/bin/chromium``, Debian's package)
    and never downloads one; skips with the reason when it is missing. Combine with
    ``live_server`` and ``@pytest.mark.django_db(transaction=True)``::

        @pytest.mark.browser
        @pytest.mark.django_db(transaction=True)
        def test_front_page(live_server, chromium, event):
            page = chromium.new_page()
            page.goto(f"{live_server.url}/example/conf/")
    """
    with launched_chromium() as browser:
        yield browser
