"""Statements around the ORM's: settings that hold for one block of work.

Some reads need the database to plan or scan differently from the rest of the application (a
count that must not use nested loops, a scan that must start at the table's first page).
PostgreSQL's ``set_config(name, value, true)`` changes a setting until the end of the
transaction; :func:`local_setting` narrows that to a block and puts the previous value back,
so nothing else in an enclosing transaction runs with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection, transaction


@contextlib.contextmanager
def local_setting(name: str, value: str, *, savepoint: bool = True) -> Iterator[None]:
    """Run the block with the PostgreSQL setting ``name`` at ``value``; elsewhere a no-op.

    The block runs in ``transaction.atomic(savepoint=savepoint)``: pass ``savepoint=False``
    inside a transaction whose failure is handled as a whole (no savepoint round trips). After
    the block the previous value is put back. After an error it is not: the rollback of the
    block (or of the transaction) undoes the setting, and a statement in an aborted transaction
    would replace the error with "transaction aborted".
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=savepoint), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
        row = cursor.fetchone()
        assert row is not None
        yield
        cursor.execute("SELECT set_config(%s, %s, true)", [name, row[0]])
