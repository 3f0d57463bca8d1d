"""bulk_update_rows writes the given columns of many rows, typed as save() writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay.base.bulk import bulk_update_rows
from eventyay.base.models import LogEntry, TeamAPIToken
from eventyay.base.services.teams import token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(organizer: Any) -> list[LogEntry]:
    return [
        LogEntry.objects.create(organizer=organizer, action_type=f"test.{n}", data={"n": n}) for n in range(5)
    ]


def test_text_json_and_time_columns_of_each_row(entries: list[LogEntry]) -> None:
    moment = timezone.now() - dt.timedelta(days=3)
    for n, entry in enumerate(entries[:4]):
        entry.action_type = f"changed.{n}"
        entry.data = {"n": n, "nested": ["ü", None, True], "quote": "it's"}
        entry.datetime = moment + dt.timedelta(minutes=n)
        entry.object_id = "not written"
    with CaptureQueriesContext(connection) as queries:
        assert bulk_update_rows(entries[:4], ["action_type", "data", "datetime"]) == 4
    assert len(queries.captured_queries) == 1
    with scopes_disabled():
        stored = {e.pk: e for e in LogEntry.objects.filter(pk__in=[e.pk for e in entries])}
    for n, entry in enumerate(entries[:4]):
        row = stored[entry.pk]
        assert (row.action_type, row.data, row.datetime) == (
            f"changed.{n}",
            {"n": n, "nested": ["ü", None, True], "quote": "it's"},
            moment + dt.timedelta(minutes=n),
        )
        assert row.object_id == ""
    assert stored[entries[4].pk].action_type == "test.4"


def test_booleans_and_nulls(admin_team: Any) -> None:
    with scope(organizer=admin_team.organizer):
        tokens = [token_create(team=admin_team, name=f"t{n}")[0] for n in range(3)]
    tokens[0].active, tokens[0].last_used = False, timezone.now()
    tokens[1].last_used = None
    assert bulk_update_rows(tokens, ["active", "last_used"]) == 3
    with scopes_disabled():
        stored = {t.pk: t for t in TeamAPIToken.objects.filter(pk__in=[t.pk for t in tokens])}
    assert not stored[tokens[0].pk].active and stored[tokens[0].pk].last_used == tokens[0].last_used
    assert stored[tokens[1].pk].active and stored[tokens[1].pk].last_used is None


def test_rows_beyond_the_parameter_limit_go_in_more_statements(
    entries: list[LogEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection.features, "max_query_params", 5)
    for entry in entries:
        entry.action_type = "split"
    with CaptureQueriesContext(connection) as queries:
        assert bulk_update_rows(entries, ["action_type"]) == 5
    # Two parameters a row (key and value): two rows per statement.
    assert len(queries.captured_queries) == 3
    with scopes_disabled():
        written = LogEntry.objects.filter(pk__in=[e.pk for e in entries]).values_list(
            "action_type", flat=True
        )
        assert set(written) == {"split"}


def test_nothing_to_write_runs_nothing(entries: list[LogEntry]) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert bulk_update_rows([], ["action_type"]) == 0
        assert bulk_update_rows(entries, []) == 0
    assert not queries.captured_queries
