"""The dummy plugin is on for event A and off for event B: everything it adds follows that."""

from __future__ import annotations

import pytest
from django_scopes import scope

from eventyay.base.plugins import hooks_for

pytestmark = pytest.mark.django_db


def test_section_shows_on_the_front_page_of_the_event_that_has_the_plugin(client, event_a, event_b):
    page_a = client.get("/example/alpha/").content.decode()
    page_b = client.get("/example/beta/").content.decode()
    assert "The dummy plugin is on for Conference alpha." in page_a
    assert 'id="dummy"' in page_a
    assert "dummy plugin" not in page_b


def test_public_route_answers_only_where_the_plugin_is_on(client, event_a, event_b):
    response = client.get("/example/alpha/dummy/")
    assert response.status_code == 200
    assert "This page belongs to the dummy plugin of Conference alpha." in response.content.decode()
    assert client.get("/example/beta/dummy/").status_code == 404


def test_control_route_answers_only_where_the_plugin_is_on(client_for, user, event_a, event_b):
    client = client_for(user)
    response = client.get("/control/event/example/alpha/dummy/")
    assert response.status_code == 200
    assert "Dummy settings" in response.content.decode()
    assert client.get("/control/event/example/beta/dummy/").status_code == 404


def test_control_route_needs_a_login_and_hides_the_event_from_other_organizers(
    client, client_for, other_organizer, event_a
):
    response = client.get("/control/event/example/alpha/dummy/")
    assert response.status_code == 302
    assert client_for(other_organizer.member).get("/control/event/example/alpha/dummy/").status_code == 404


def test_api_route_answers_only_where_the_plugin_is_on(api_client, event_a, event_b):
    response = api_client.get("/api/v1/organizers/example/events/alpha/dummy/")
    assert response.status_code == 200
    assert response.json() == {"event": "alpha", "calls": 0}
    response = api_client.get("/api/v1/organizers/example/events/beta/dummy/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_api_route_is_closed_to_anonymous_callers_and_other_organizers(client, event_a, other_organizer):
    from eventyay.base.services.teams import token_create

    assert client.get("/api/v1/organizers/example/events/alpha/dummy/").status_code == 401
    with scope(organizer=other_organizer):
        team = other_organizer.teams.get()
        _token, secret = token_create(team=team, name="outsider")
    response = client.get(
        "/api/v1/organizers/example/events/alpha/dummy/", HTTP_AUTHORIZATION=f"Token {secret}"
    )
    assert response.status_code == 404


def test_global_route_is_mounted(client, db):
    response = client.get("/_dummy/ping/")
    assert response.status_code == 200
    assert response.json() == {"plugin": "dummy", "pong": True}


def test_control_navigation_entry_only_for_the_event_that_has_the_plugin(rf, event_a, event_b):
    request = rf.get("/")
    nav_a = [
        item
        for result in hooks_for(event_a).control_nav_event(event=event_a, request=request)
        for item in result
    ]
    nav_b = [
        item
        for result in hooks_for(event_b).control_nav_event(event=event_b, request=request)
        for item in result
    ]
    assert [item.url for item in nav_a if item.label == "Dummy"] == ["/control/event/example/alpha/dummy/"]
    assert not [item for item in nav_b if item.label == "Dummy"]


def test_control_panel_navigation_links_the_plugin_page_only_where_it_is_on(
    client_for, user, event_a, event_b
):
    client = client_for(user)
    page_a = client.get("/control/event/example/alpha/").content.decode()
    page_b = client.get("/control/event/example/beta/").content.decode()
    assert 'href="/control/event/example/alpha/dummy/"' in page_a
    assert "/dummy/" not in page_b
