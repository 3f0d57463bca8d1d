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
    assert config["worker_class"] == "uvicorn_worker.UvicornWorker"
    assert config["wsgi_app"] == "eventyay.config.asgi:application"


def test_gunicorn_config_defaults_to_loopback(monkeypatch):
    for name in ("EVENTYAY_BIND", "EVENTYAY_WORKERS", "EVENTYAY_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(DEPLOYMENT / "gunicorn.conf.py"))
    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["workers"] >= 3
    assert config["accesslog"] == "-"


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
