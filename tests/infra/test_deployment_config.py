"""The production server configuration in deployment/ reads its machine-specific parts from the environment."""

from __future__ import annotations

import runpy
from pathlib import Path

import yaml

DEPLOYMENT = Path(__file__).resolve().parents[2] / "deployment"


def test_gunicorn_config_takes_bind_and_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("EVENTYAY_BIND", "127.0.0.1:8100,unix:/run/eventyay.sock")
    monkeypatch.setenv("EVENTYAY_WORKERS", "3")
    monkeypatch.setenv("EVENTYAY_ACCESS_LOG", "off")
    config = runpy.run_path(str(DEPLOYMENT / "gunicorn.conf.py"))
    assert config["bind"] == ["127.0.0.1:8100", "unix:/run/eventyay.sock"]
    assert config["workers"] == 3
    assert config["accesslog"] is None
    assert config["worker_class"] == "eventyay.config.server.UvicornWorker"
    assert config["wsgi_app"] == "eventyay.config.asgi:application"


def test_gunicorn_config_defaults_to_loopback(monkeypatch):
    for name in ("EVENTYAY_BIND", "EVENTYAY_WORKERS", "EVENTYAY_ACCESS_LOG", "EVENTYAY_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(DEPLOYMENT / "gunicorn.conf.py"))
    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["workers"] >= 3
    assert config["accesslog"] == "-"
    assert (config["max_requests"], config["max_requests_jitter"]) == (10000, 1000)


def test_load_tests_can_keep_workers_from_being_replaced(monkeypatch):
    monkeypatch.setenv("EVENTYAY_MAX_REQUESTS", "0")
    config = runpy.run_path(str(DEPLOYMENT / "gunicorn.conf.py"))
    # gunicorn reads 0 as "never replace a worker".
    assert (config["max_requests"], config["max_requests_jitter"]) == (0, 0)


def test_worker_class_serves_websockets_without_per_frame_compression():
    from uvicorn import Config

    from eventyay.config.server import UvicornWorker

    config = Config(app="eventyay.config.asgi:application", **UvicornWorker.CONFIG_KWARGS)
    assert config.ws_per_message_deflate is False
    assert config.ws == "websockets-sansio"
    assert config.ws_max_size == 65536
    assert UvicornWorker.CONFIG_KWARGS["loop"] == "auto", "uvicorn_worker's own options are kept"


def test_compose_file_runs_every_role_on_postgres_and_redis():
    compose = yaml.safe_load((DEPLOYMENT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    assert [services[role]["command"] for role in ("web", "worker", "beat")] == [
        ["web"],
        ["worker"],
        ["beat"],
    ]
    for role in ("web", "worker", "beat"):
        env = services[role]["environment"]
        assert env["EVENTYAY_DB_URL"].startswith("postgres://")
        assert env["EVENTYAY_REDIS_URL"].startswith("redis://")


def test_entrypoint_knows_the_compose_roles():
    entrypoint = (DEPLOYMENT / "docker-entrypoint.sh").read_text()
    for role in ("web)", "worker)", "beat)"):
        assert role in entrypoint
