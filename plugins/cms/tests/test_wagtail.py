"""The contract suite against a real Wagtail site (API v2), started once per session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_scopes import scope
from eventyay_cms.models import PulledPage

from eventyay.base.services import http

from .conftest import signed

pytestmark = pytest.mark.wagtail


@pytest.fixture
def wagtail_connection(wagtail_site, make_connection):
    return make_connection(type="wagtail", base_url=wagtail_site.url, pull=["pages"])


@pytest.fixture
def requested(monkeypatch) -> list[str]:
    """The URLs the connector requested (it goes through the core's outgoing client)."""
    urls: list[str] = []
    real = http.outgoing_request

    def spy(method: str, url: str, **kwargs: Any) -> Any:
        urls.append(url)
        return real(method, url, **kwargs)

    from eventyay_cms.connectors import wagtail

    monkeypatch.setattr(wagtail, "outgoing_request", spy)
    return urls


def _pages(connection) -> dict[str, PulledPage]:
    with scope(organizer=connection.event.organizer):
        return {page.external_id: page for page in PulledPage.objects.filter(connection=connection)}


def _run(function, connection, *args):
    with scope(organizer=connection.event.organizer):
        connection.refresh_from_db()
        return function(connection, *args)


def test_pull_scans_ids_and_fetches_details_only_for_changed_pages(
    wagtail_site, wagtail_connection, requested
):
    from eventyay_cms.services.pull import pull, reconcile

    first = wagtail_site.create("Call for papers", "cfp-wt", "<p>Send talks<script>evil()</script></p>")
    second = wagtail_site.create("Venue", "venue-wt", '<p onmouseover="x()">Hall</p>')

    _run(pull, wagtail_connection)

    pages = _pages(wagtail_connection)
    assert pages[f"page:{first}"].html == "<p>Send talks</p>"
    assert pages[f"page:{second}"].html == "<p>Hall</p>" and pages[f"page:{second}"].slug == "venue-wt"

    requested.clear()
    wagtail_site.edit(first, body="<p>Send talks by May</p>")
    result = _run(pull, wagtail_connection)
    details = [url for url in requested if url.rstrip("/").split("/")[-1].isdigit()]
    assert f"{wagtail_site.url}/api/v2/pages/{first}/" in details
    assert f"{wagtail_site.url}/api/v2/pages/{second}/" not in details or result.unchanged
    assert _pages(wagtail_connection)[f"page:{first}"].html == "<p>Send talks by May</p>"

    wagtail_site.delete(second)
    assert _run(reconcile, wagtail_connection) == 1
    pages = _pages(wagtail_connection)
    assert not pages[f"page:{second}"].published and pages[f"page:{first}"].published


def test_signed_notice_pulls_only_that_wagtail_page(
    client, wagtail_site, wagtail_connection, django_capture_on_commit_callbacks
):
    wagtail_site.create("Other", "other-wt", "<p>o</p>")
    number = wagtail_site.create("Sponsors", "sponsors-wt", "<p>Thanks</p>")
    body = json.dumps({"type": "page", "id": number}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/example/cmsconf/cms/webhook/{wagtail_connection.uuid}/",
            data=body,
            content_type="application/json",
            **signed(wagtail_connection, body),
        )
    assert response.status_code == 202
    assert set(_pages(wagtail_connection)) == {f"page:{number}"}
    assert client.get("/example/cmsconf/p/sponsors-wt/").status_code == 200


def test_wagtail_test_connection_without_companion_secret_only_reads(wagtail_connection):
    from eventyay_cms.services.registry import adapter_for

    with scope(organizer=wagtail_connection.event.organizer):
        text = adapter_for(wagtail_connection).test()
    assert "public pages" in text and "companion" not in text
    assert wagtail_connection.push == []
