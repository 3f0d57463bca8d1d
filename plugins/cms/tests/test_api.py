"""The API: connections (credentials write-only), sync as a job, pulled pages; tenancy."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django_scopes import scope
from eventyay_cms.models import Connection
from rest_framework.test import APIClient

from .conftest import APP_PASSWORD

BASE = "/api/v1/organizers/example/events/cmsconf/cms/"


@pytest.fixture
def other_client(other_organizer: Any) -> APIClient:
    from eventyay.base.services.teams import token_create

    with scope(organizer=other_organizer):
        team = other_organizer.teams.get(name="Administrators")
        _token, secret = token_create(team=team, name="outsider")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_create_keeps_the_password_encrypted_and_never_returns_it(api_client, cms_event, wordpress, caplog):
    caplog.set_level(logging.DEBUG)
    response = api_client.post(
        BASE + "connections/",
        {
            "type": "wordpress",
            "base_url": wordpress.url,
            "username": "editor",
            "password": APP_PASSWORD,
            "pull": ["pages", "posts"],
            "push": ["schedule", "speakers"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert "password" not in data and data["has_password"] is True
    assert data["pull"] == ["pages", "posts"] and data["webhook_url"].endswith("/")
    with scope(organizer=cms_event.organizer):
        stored = Connection.objects.get(pk=data["id"])
    assert stored.password.startswith("enc1:") and stored.credentials()[1].reveal() == APP_PASSWORD

    listing = api_client.get(BASE + "connections/")
    detail = api_client.get(BASE + f"connections/{data['id']}/")
    changed = api_client.patch(BASE + f"connections/{data['id']}/", {"name": "Website"}, format="json")
    for answer in (listing, detail, changed):
        assert answer.status_code == 200
        assert APP_PASSWORD not in answer.content.decode()
    with scope(organizer=cms_event.organizer):
        stored.refresh_from_db()
    assert stored.name == "Website" and stored.credentials()[1].reveal() == APP_PASSWORD  # kept
    assert APP_PASSWORD not in caplog.text and APP_PASSWORD.replace(" ", "") not in caplog.text


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "drupal"}, "type"),
        ({"type": "wagtail", "push": ["schedule"]}, "push"),
        ({"type": "wordpress", "pull": ["comments"]}, "pull"),
        ({"type": "wordpress", "base_url": "ftp://example.org"}, "base_url"),
        ({"type": "wordpress", "conflict_policy": "coin_toss"}, "conflict_policy"),
    ],
)
def test_bad_input_is_400_naming_the_field(api_client, cms_event, wordpress, payload, field):
    body = {"base_url": wordpress.url, **payload}
    response = api_client.post(BASE + "connections/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_sync_runs_as_a_job_and_pages_are_listed(
    api_client, wordpress, wp_connection, django_capture_on_commit_callbacks
):
    wordpress.add("pages", "Venue", "<p>Hall<script>x()</script></p>", slug="venue")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(BASE + f"connections/{wp_connection.pk}/sync/")
    assert response.status_code == 202
    from eventyay.base.models import Job

    with scope(organizer=wp_connection.event.organizer):
        job = Job.objects.get(pk=response.json()["job"])
    assert job.state == "done", job.error

    pages = api_client.get(BASE + "pages/").json()["results"]
    assert [(p["slug"], p["title"], p["html"]) for p in pages] == [("venue", "Venue", "<p>Hall</p>")]
    detail = api_client.get(BASE + f"connections/{wp_connection.pk}/").json()
    assert detail["counts"]["pages"] == 1 and detail["last_sync"] and detail["last_error"] == ""


def test_another_organizers_token_sees_nothing(other_client, api_client, wp_connection):
    for method, path in (
        ("get", "connections/"),
        ("get", f"connections/{wp_connection.pk}/"),
        ("post", f"connections/{wp_connection.pk}/sync/"),
        ("get", "pages/"),
    ):
        assert getattr(other_client, method)(BASE + path).status_code in (403, 404)
    # Nor through its own event: the connection belongs to another event.
    response = other_client.get(
        f"/api/v1/organizers/other/events/otherconf/cms/connections/{wp_connection.pk}/"
    )
    assert response.status_code == 404


def test_list_query_count_does_not_grow_with_connections(
    api_client, wordpress, make_connection, django_assert_max_num_queries, django_assert_num_queries
):
    make_connection(type="wordpress", base_url=wordpress.url, pull=["pages"])
    api_client.get(BASE + "connections/")  # the token's first use writes its last-use time
    with django_assert_max_num_queries(40) as captured:
        api_client.get(BASE + "connections/")
    one = len(captured.captured_queries)
    for _number in range(3):
        make_connection(type="wordpress", base_url=wordpress.url, pull=["pages"])
    with django_assert_num_queries(one):
        response = api_client.get(BASE + "connections/")
    assert len(response.json()["results"]) == 4
