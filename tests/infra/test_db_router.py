"""Settings for more than one machine: the read replica router, PgBouncer, split Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.db import router, transaction
from django.test import RequestFactory

from eventyay.base import db_router
from eventyay.base.db_router import PRIMARY, REPLICA, ReplicaReadsMiddleware, ReplicaRouter, replica_reads
from eventyay.base.models import User

SETTINGS_SCRIPT = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({
    "databases": settings.DATABASES,
    "routers": settings.DATABASE_ROUTERS,
    "middleware": settings.MIDDLEWARE,
    "cache": settings.CACHES["default"].get("LOCATION"),
    "channels": [host["address"] for host in settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts", [])],
    "channel_socket_timeouts": [
        host["socket_timeout"] for host in settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts", [])
    ],
    "broker": settings.CELERY_BROKER_URL,
}, default=str))
"""


def settings_with(tmp_path: Any, **env: str) -> dict[str, Any]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("EVENTYAY_")}
    environ.update(DJANGO_SETTINGS_MODULE="eventyay.config.settings", EVENTYAY_DATA_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_SCRIPT], env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


PRIMARY_URL = "postgres://eventyay@db-primary:5432/eventyay"
REPLICA_URL = "postgres://eventyay@db-replica:5432/eventyay"


def test_without_a_replica_url_there_is_no_router(tmp_path):
    loaded = settings_with(tmp_path, EVENTYAY_DB_URL=PRIMARY_URL)
    assert list(loaded["databases"]) == ["default"]
    assert loaded["routers"] == []
    assert "eventyay.base.db_router.ReplicaReadsMiddleware" not in loaded["middleware"]
    assert loaded["databases"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_a_replica_url_adds_the_replica_its_router_and_middleware(tmp_path):
    loaded = settings_with(tmp_path, EVENTYAY_DB_URL=PRIMARY_URL, EVENTYAY_DB_REPLICA_URL=REPLICA_URL)
    replica = loaded["databases"]["replica"]
    assert (replica["HOST"], loaded["databases"]["default"]["HOST"]) == ("db-replica", "db-primary")
    assert replica["TEST"]["MIRROR"] == "default"
    assert "pool" in replica["OPTIONS"]
    assert loaded["routers"] == ["eventyay.base.db_router.ReplicaRouter"]
    assert loaded["middleware"][0] == "eventyay.base.db_router.ReplicaReadsMiddleware"


def test_pgbouncer_mode_turns_off_server_side_cursors_and_prepared_statements(tmp_path):
    loaded = settings_with(
        tmp_path,
        EVENTYAY_DB_URL=PRIMARY_URL,
        EVENTYAY_DB_REPLICA_URL=REPLICA_URL,
        EVENTYAY_DB_PGBOUNCER="1",
    )
    for alias in ("default", "replica"):
        database = loaded["databases"][alias]
        assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert database["OPTIONS"]["prepare_threshold"] is None


def test_redis_for_cache_channels_and_broker_default_to_one_url_and_can_be_split(tmp_path):
    one = settings_with(tmp_path, EVENTYAY_REDIS_URL="redis://redis:6379/0")
    assert (one["cache"], one["channels"], one["broker"]) == (
        "redis://redis:6379/0",
        ["redis://redis:6379/0"],
        "redis://redis:6379/0",
    )
    # No client-side timeout on the layer's connections (see the settings for why).
    assert one["channel_socket_timeouts"] == [None]
    split = settings_with(
        tmp_path,
        EVENTYAY_REDIS_URL="redis://redis:6379/0",
        EVENTYAY_REDIS_CACHE_URL="redis://cache:6379/0",
        EVENTYAY_REDIS_CHANNELS_URL="redis://channels:6379/0",
        EVENTYAY_REDIS_BROKER_URL="redis://broker:6379/0",
    )
    assert (split["cache"], split["channels"], split["broker"]) == (
        "redis://cache:6379/0",
        ["redis://channels:6379/0"],
        "redis://broker:6379/0",
    )


@pytest.fixture
def replica(monkeypatch: pytest.MonkeyPatch) -> None:
    """As with EVENTYAY_DB_REPLICA_URL set: a replica configured, and the router in use."""
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    monkeypatch.setattr(router, "routers", [ReplicaRouter()])


def test_reads_go_to_the_replica_only_inside_replica_reads(replica):
    assert User.objects.all().db == PRIMARY
    with replica_reads():
        assert User.objects.all().db == REPLICA
        assert router.db_for_write(User) == PRIMARY
    assert User.objects.all().db == PRIMARY


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_on_the_primary_stay_there(replica):
    with replica_reads(), transaction.atomic():
        assert User.objects.select_for_update().db == PRIMARY


def test_without_a_replica_replica_reads_change_nothing():
    with replica_reads():
        assert User.objects.all().db == PRIMARY


def test_migrations_run_on_the_primary_only():
    assert ReplicaRouter().allow_migrate(PRIMARY, "eventyay_base") is True
    assert ReplicaRouter().allow_migrate(REPLICA, "eventyay_base") is False


@pytest.mark.parametrize(
    ("method", "path", "cookies", "on_replica"),
    [
        ("get", "/demo/democon/", {}, True),
        ("head", "/demo/democon/schedule/", {}, True),
        ("get", "/demo/democon/", {"sessionid": "abc"}, False),
        ("post", "/demo/democon/", {}, False),
        ("get", "/control/", {}, False),
        ("get", "/api/v1/organizers/", {}, False),
    ],
)
def test_only_anonymous_public_page_views_read_from_the_replica(replica, method, path, cookies, on_replica):
    seen: list[str] = []

    def view(request: Any) -> Any:
        seen.append(User.objects.all().db)
        return "response"

    request = getattr(RequestFactory(), method)(path)
    request.COOKIES.update(cookies)
    assert ReplicaReadsMiddleware(view)(request) == "response"
    assert seen == [REPLICA if on_replica else PRIMARY]
