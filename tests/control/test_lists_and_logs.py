"""List and audit log pages: paginated, showing who/what/when/before/after, in constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from eventyay.base.services.events import event_update
from eventyay.base.services.teams import team_save


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def change_event(event, user, times: int) -> None:
    with scope(organizer=event.organizer):
        for number in range(times):
            event_update(event=event, data={"currency": f"X{number:02d}"[:3]}, actor=user)


@pytest.mark.django_db
def test_event_log_shows_who_what_and_before_after(client_for, user, event):
    with scope(organizer=event.organizer):
        event_update(event=event, data={"currency": "USD"}, actor=user)
    page = client_for(user).get("/control/event/example/conf/log/").content.decode()
    assert "Event settings changed by member@example.org" in page
    assert "eventyay.event.changed" not in page
    assert "<del>EUR</del> → <ins>USD</ins>" in page


@pytest.mark.django_db
def test_log_pages_are_paginated(client_for, user, event):
    change_event(event, user, 55)
    client = client_for(user)
    first = client.get("/control/event/example/conf/log/").content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in client.get("/control/event/example/conf/log/?page=2").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/control/event/example/conf/log/", "/control/organizer/example/log/"])
def test_log_pages_need_constant_queries(client_for, user, event, url, django_assert_max_num_queries):
    client = client_for(user)
    change_event(event, user, 2)
    # The first request of a process looks the event up differently (see the tenant cache);
    # compare requests that both follow a change of the event.
    client.get(url)
    change_event(event, user, 1)
    few = query_count(client, url)
    change_event(event, user, 30)
    assert query_count(client, url) == few
    with django_assert_max_num_queries(15):
        client.get(url)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/control/", "/control/organizer/example/", "/control/organizer/example/teams/"]
)
def test_list_pages_need_constant_queries(
    client_for, user, organizer, make_event, url, django_assert_max_num_queries
):
    client = client_for(user)
    first = make_event(slug="e0")
    with scopes_disabled():
        team_save(organizer=organizer, name="T0", permissions=[], all_events=False, limit_events=[first])
    few = query_count(client, url)
    for number in range(1, 8):
        event = make_event(slug=f"e{number}")
        with scopes_disabled():
            team_save(
                organizer=organizer, name=f"T{number}", permissions=[], all_events=False, limit_events=[event]
            )
    assert query_count(client, url) == few
    with django_assert_max_num_queries(15):
        client.get(url)
