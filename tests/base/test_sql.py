"""``local_setting``: a PostgreSQL setting for one block, put back after it."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction

from eventyay.plugin_api import local_setting

pytestmark = pytest.mark.django_db


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.services
@pytest.mark.parametrize("savepoint", [True, False])
def test_the_setting_holds_inside_the_block_and_is_put_back(savepoint: bool) -> None:
    with transaction.atomic():
        assert _setting("enable_nestloop") == "on"
        with local_setting("enable_nestloop", "off", savepoint=savepoint):
            assert _setting("enable_nestloop") == "off"
        # Still inside the enclosing transaction, where a plain SET LOCAL would still hold.
        assert _setting("enable_nestloop") == "on"


@pytest.mark.services
def test_a_value_set_before_is_the_value_put_back() -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronize_seqscans = off")
        with local_setting("synchronize_seqscans", "on"):
            assert _setting("synchronize_seqscans") == "on"
        assert _setting("synchronize_seqscans") == "off"


@pytest.mark.services
def test_an_error_inside_the_block_is_the_error_raised() -> None:
    """The setting is not put back by a statement after an error (the transaction is aborted
    then): the rollback of the block's savepoint undoes it."""
    with transaction.atomic():
        with (
            pytest.raises(ProgrammingError, match="no_such_table"),
            local_setting("enable_nestloop", "off"),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT * FROM no_such_table")
        assert _setting("enable_nestloop") == "on"


def test_other_databases_run_the_block_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")
    ran = []
    with local_setting("enable_nestloop", "off"):
        ran.append(True)
    assert ran == [True]
