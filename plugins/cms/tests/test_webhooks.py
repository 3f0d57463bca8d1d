"""Signed inbound webhooks: only a valid, fresh, first delivery pulls exactly the named object."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django_scopes import scope
from eventyay_cms.models import PulledPage

from .conftest import signed


@pytest.fixture
def wordpress(contract_wordpress: Any) -> Any:
    """Each test runs against the in-process fake and against a real WordPress."""
    return contract_wordpress


def _url(connection):
    return f"/example/cmsconf/cms/webhook/{connection.uuid}/"


def _pulled(connection) -> set[str]:
    with scope(organizer=connection.event.organizer):
        return set(PulledPage.objects.filter(connection=connection).values_list("external_id", flat=True))


def _post(client, connection, body: bytes, headers, capture):
    with capture(execute=True):
        return client.post(_url(connection), data=body, content_type="application/json", **headers)


def test_bad_signature_is_refused_and_pulls_nothing(
    client, wordpress, wp_connection, django_capture_on_commit_callbacks
):
    number = wordpress.add("posts", "News", "<p>n</p>")
    body = json.dumps({"type": "post", "id": number}).encode()

    response = _post(
        client,
        wp_connection,
        body,
        signed(wp_connection, body, secret="not-the-secret"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 400
    assert wordpress.requests == [] and _pulled(wp_connection) == set()


def test_good_signature_pulls_exactly_that_object_once(
    client, wordpress, wp_connection, django_capture_on_commit_callbacks
):
    wordpress.add("posts", "Other news", "<p>o</p>")
    number = wordpress.add("posts", "News", "<p>n</p>")
    body = json.dumps({"type": "post", "id": number}).encode()
    headers = signed(wp_connection, body)

    response = _post(client, wp_connection, body, headers, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    assert _pulled(wp_connection) == {f"post:{number}"}
    assert [r["path"] for r in wordpress.requests] == [f"/wp-json/wp/v2/posts/{number}"]
    # The same delivery again is a replay.
    replay = _post(client, wp_connection, body, headers, django_capture_on_commit_callbacks)
    assert replay.status_code == 400 and len(wordpress.requests) == 1


def test_stale_timestamp_and_tampered_body_are_refused(
    client, wordpress, wp_connection, django_capture_on_commit_callbacks
):
    number = wordpress.add("posts", "News")
    body = json.dumps({"type": "post", "id": number}).encode()
    old = signed(wp_connection, body, timestamp=int(time.time()) - 301)
    assert _post(client, wp_connection, body, old, django_capture_on_commit_callbacks).status_code == 400
    tampered = json.dumps({"type": "post", "id": number + 1}).encode()
    assert (
        _post(
            client, wp_connection, tampered, signed(wp_connection, body), django_capture_on_commit_callbacks
        ).status_code
        == 400
    )
    assert wordpress.requests == []


def test_webhook_for_an_object_deleted_at_the_source_unpublishes_it(
    client, wordpress, wp_connection, django_capture_on_commit_callbacks
):
    from eventyay_cms.services.pull import pull

    number = wordpress.add("pages", "Gone soon", slug="gone-soon")
    with scope(organizer=wp_connection.event.organizer):
        pull(wp_connection)
    wordpress.remove("pages", number)
    body = json.dumps({"type": "page", "id": number}).encode()

    assert (
        _post(
            client, wp_connection, body, signed(wp_connection, body), django_capture_on_commit_callbacks
        ).status_code
        == 202
    )
    assert client.get("/example/cmsconf/p/gone-soon/").status_code == 404


def test_unknown_connection_is_404(client, wp_connection):
    response = client.post(
        "/example/cmsconf/cms/webhook/00000000-0000-0000-0000-000000000000/",
        data=b"{}",
        content_type="application/json",
    )
    assert response.status_code == 404
