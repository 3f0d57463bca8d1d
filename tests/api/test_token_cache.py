"""API tokens kept in the shared cache: no token row read per request, every change seen at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from eventyay.api import auth
from eventyay.base.models import TeamAPIToken
from eventyay.base.services import cache as page_cache
from eventyay.base.services.teams import team_save, token_revoke

TOKEN_TABLE = TeamAPIToken._meta.db_table
TEAM_EVENTS_TABLE = (
    TeamAPIToken._meta.get_field("team").related_model._meta.get_field("limit_events").m2m_db_table()
)


@pytest.fixture(autouse=True)
def shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as with Redis: one cache for every server process (here, the test's own)."""
    monkeypatch.setattr(page_cache, "cache_is_shared", lambda: True)


def _token_reads(captured: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if TOKEN_TABLE in query["sql"] or TEAM_EVENTS_TABLE in query["sql"]
    ]


def _token(secret: str) -> TeamAPIToken:
    with scopes_disabled():
        return TeamAPIToken.objects.select_related("team__organizer").get(
            token_hash=TeamAPIToken.hash(secret)
        )


@pytest.mark.django_db
def test_a_known_token_reads_no_token_or_permission_row(make_event, make_team, token_for, client_with_token):
    first = make_event(slug="first")
    team = make_team(
        name="Limited", permissions=("event.settings:read",), all_events=False, limit_events=[first]
    )
    client = client_with_token(token_for(team))
    assert client.get("/api/v1/organizers/example/events/first/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/organizers/example/events/first/").status_code == 200
    assert _token_reads(captured) == []


@pytest.mark.django_db
def test_a_revoked_token_is_refused_by_the_next_request(api_client, api_token):
    assert api_client.get("/api/v1/me").status_code == 200
    token = _token(api_token)
    with scope(organizer=token.team.organizer):
        token_revoke(token=token)
    assert api_client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_a_deleted_token_is_refused_by_the_next_request(
    api_client, api_token, admin_team, token_for, client_with_token
):
    other = client_with_token(token_for(admin_team, name="other"))
    assert other.get("/api/v1/me").status_code == 200
    token = _token(api_token)
    with scopes_disabled():
        other_token = TeamAPIToken.objects.exclude(pk=token.pk).get(team=admin_team, name="other")
    deleted = api_client.delete(f"/api/v1/organizers/example/teams/{admin_team.pk}/tokens/{other_token.pk}/")
    assert deleted.status_code == 204
    assert other.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_taking_a_permission_away_applies_to_the_next_request(
    make_event, make_team, token_for, client_with_token
):
    make_event(slug="conf")
    team = make_team(name="Editors", permissions=("event.settings:read", "event.settings:write"))
    client = client_with_token(token_for(team))
    url = "/api/v1/organizers/example/events/conf/"
    assert client.patch(url, {"live": False}, format="json").status_code == 200
    with scope(organizer=team.organizer):
        team_save(
            organizer=team.organizer,
            team=team,
            name=team.name,
            permissions=("event.settings:read",),
            all_events=True,
        )
    assert client.patch(url, {"live": True}, format="json").status_code == 403


@pytest.mark.django_db
def test_changing_a_teams_events_applies_to_the_next_request(
    make_event, make_team, token_for, client_with_token
):
    first, second = make_event(slug="first"), make_event(slug="second")
    team = make_team(
        name="Limited", permissions=("event.settings:read",), all_events=False, limit_events=[first]
    )
    client = client_with_token(token_for(team))
    url = "/api/v1/organizers/example/events/second/"
    assert client.get(url).status_code == 404
    with scope(organizer=team.organizer):
        team.limit_events.add(second)
    assert client.get(url).status_code == 200
    # From the event's side of the relation too.
    with scope(organizer=team.organizer):
        second.teams.remove(team)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_revocation_committed_while_a_request_read_the_token_is_not_outlived(
    api_client, api_token, monkeypatch: pytest.MonkeyPatch
):
    """A request reads the token just before the revocation commits and caches it just after."""
    stored_token = auth._stored_token

    def read_then_revoked(token_hash: str) -> Any:
        found = stored_token(token_hash)
        token = _token(api_token)
        with scope(organizer=token.team.organizer):
            token_revoke(token=token)
        return found

    monkeypatch.setattr(auth, "_stored_token", read_then_revoked)
    assert api_client.get("/api/v1/me").status_code == 200
    monkeypatch.setattr(auth, "_stored_token", stored_token)
    assert api_client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_last_used_is_written_once_a_minute_with_a_cached_token(
    api_client, api_token, monkeypatch: pytest.MonkeyPatch
):
    assert api_client.get("/api/v1/me").status_code == 200
    first_use = _token(api_token).last_used
    assert first_use is not None
    later = first_use + dt.timedelta(seconds=auth.LAST_USED_EVERY + 5)
    monkeypatch.setattr(auth.timezone, "now", lambda: later)
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get("/api/v1/me").status_code == 200
    assert len([sql for sql in _token_reads(captured) if sql.startswith("UPDATE")]) == 1
    assert _token(api_token).last_used == later
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get("/api/v1/me").status_code == 200
    assert _token_reads(captured) == []


@pytest.mark.django_db
def test_an_unknown_token_is_refused(client_with_token, organizer):
    client = client_with_token("no-such-token")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401
