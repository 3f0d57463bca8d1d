import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_names_the_failing_part(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database is down")

    # Broken only for the request: the test database's teardown needs a working cursor.
    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "database is down" in response.json()["checks"]["database"]
