"""/healthz against the real broker, and naming the broker when it cannot be reached."""

from __future__ import annotations

import socket

import pytest

from eventyay.config.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_checks_the_redis_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["broker"] == "redis"
    assert body["checks"]["broker"] == "ok"


def test_healthz_names_the_broker_when_it_is_down(client, monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{closed_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"
