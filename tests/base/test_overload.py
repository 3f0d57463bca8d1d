"""A database connection pool that runs dry answers 503 with Retry-After, never 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from psycopg_pool import PoolTimeout

from eventyay.base import overload
from eventyay.base.views import server_error

pytestmark = pytest.mark.django_db


def _pool_ran_dry(*args: Any, **kwargs: Any) -> Any:
    # What Django raises when the pool's wait runs out: its OperationalError, caused by the pool's.
    try:
        raise PoolTimeout("couldn't get a connection after 10.00 sec")
    except PoolTimeout as exc:
        raise OperationalError(*exc.args) from exc


def test_only_the_pool_running_dry_counts_as_busy() -> None:
    with pytest.raises(OperationalError) as caught:
        _pool_ran_dry()
    assert overload.database_busy(caught.value)
    assert not overload.database_busy(OperationalError("server closed the connection unexpectedly"))
    assert not overload.database_busy(None)


def test_an_api_request_gets_503_with_retry_after(api_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("eventyay.api.auth._stored_token", _pool_ran_dry)
    response = api_client.get("/api/v1/organizers/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(overload.RETRY_AFTER)
    assert response.json() == {"detail": "The server is busy. Please try again in a moment."}


def test_a_page_gets_503_with_retry_after_and_other_errors_stay_500(monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client(raise_request_exception=False)
    monkeypatch.setattr("eventyay.base.views.health_report", _pool_ran_dry)
    busy = client.get("/healthz")
    assert busy.status_code == 503 and busy["Retry-After"] == str(overload.RETRY_AFTER)
    assert "The server is busy" in busy.content.decode()

    def broken() -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("eventyay.base.views.health_report", broken)
    failed = client.get("/healthz")
    assert failed.status_code == 500 and not failed.has_header("Retry-After")


def test_an_api_request_failing_outside_the_view_gets_json() -> None:
    request = RequestFactory().get("/api/v1/organizers/example/events/")
    try:
        _pool_ran_dry()
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == str(overload.RETRY_AFTER)
    assert response["Content-Type"] == "application/json"


@pytest.mark.services
def test_the_pools_figures_are_logged_with_the_503(
    api_client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("eventyay.api.auth._stored_token", _pool_ran_dry)
    with caplog.at_level("WARNING", logger="eventyay.base.overload"):
        assert api_client.get("/api/v1/organizers/").status_code == 503
    [record] = [r for r in caplog.records if r.name == "eventyay.base.overload"]
    assert "No database connection within the pool's wait" in record.getMessage()
    assert "'pool_max': " in record.getMessage() and "'requests_waiting': " in record.getMessage()
