"""Tags and attended events copied onto the contact row, kept by triggers, indexed with GIN.

PostgreSQL only, like the indexes of migrations 0002 and 0010; SQLite asks the membership
tables as before. Two weak membership filters with a small intersection (a tag of 6,700
contacts, an event with 6,300 attendees, 40 in both) read both sides completely when answered
from ``contacttag`` and ``contactevent``; on the contact row the planner combines the two GIN
indexes (and those of the other filters) in one bitmap, with statistics for each id.

``tag_ids`` holds the ids of the contact's tags, ``attended_event_ids`` the events it attended,
both sorted and without repeats. The columns are not model fields: Django never writes them
(an instance read before a tag was added and saved after it cannot write a stale list back);
filters name them through :class:`eventyay_campaigns.selectors.MembershipContains`.

Why triggers (as for the search vector of 0010): tags and history are written by services,
``bulk_create``, cascades (a tag or an event deleted), merges and plain SQL; the database sees
every write. Each trigger runs once per statement over its transition table, so a bulk insert
of a million rows updates each touched contact once. It recomputes the list of each touched
contact from the membership table after locking the contact rows (in id order): a transaction
that added another membership of the same contact and committed meanwhile held the lock, and
the recomputation, a new statement with a new snapshot, sees its row. The trigger writes only
the list columns, so the search-vector trigger (``UPDATE OF`` the searched columns) and
``updated`` stay untouched.
"""

from typing import Any

from django.db import migrations

CONTACT = "eventyay_campaigns_contact"
#: Per list column: the membership table, its element column, and which of its rows count.
LISTS = {
    "tag_ids": ("eventyay_campaigns_contacttag", "tag_id", "TRUE"),
    "attended_event_ids": ("eventyay_campaigns_contactevent", "event_id", "kind = 'attended'"),
}
#: Lexemes the statistics of the search vector keep (ten per unit, so 10,000 at 1,000). With the
#: default (100), a prefix matching no kept lexeme is estimated at 2 % of the table whether
#: it matches 1,100 contacts (``first123``) or 125,000 (``smith``, 997 last names of 125
#: contacts each, none frequent enough to be kept): a rare prefix under a sort then walks the
#: sort index testing row after row. With 10,000 lexemes kept, ``smith`` is estimated at
#: 83,000 and ``first123`` at 58, so the planner sorts the few GIN matches of a rare prefix and
#: walks the sort index for a common one. ``ANALYZE`` then samples 300,000 rows (6 s at a
#: million contacts).
SEARCH_VECTOR_STATISTICS = 1000
INDEXES = {"tag_ids": "campaigns_contact_tag_ids", "attended_event_ids": "campaigns_contact_attended_ids"}


def _function(column: str) -> str:
    return f"eventyay_campaigns_contact_{column}"


def _aggregate(column: str, row: str) -> str:
    """The list of the contact ``row``, read from its membership table."""
    table, element, condition = LISTS[column]
    return (
        f"coalesce((SELECT array_agg(DISTINCT m.{element} ORDER BY m.{element}) FROM {table} AS m "
        f"WHERE m.contact_id = {row}.id AND {condition}), '{{}}')"
    )


def _function_body(column: str) -> str:
    _table, _element, condition = LISTS[column]
    new_rows = f"SELECT contact_id FROM new_rows WHERE {condition}"
    old_rows = f"SELECT contact_id FROM old_rows WHERE {condition}"
    # Joined, not collected in an array: ``id = ANY(array)`` of a bulk insert's 700,000 contacts
    # would be a linear search per row.
    statements = []
    for operation, rows in (
        ("INSERT", new_rows),
        ("DELETE", old_rows),
        ("UPDATE", f"{new_rows} UNION {old_rows}"),
    ):
        touched = f"SELECT DISTINCT contact_id FROM ({rows}) AS t"
        statements.append(
            f"""IF TG_OP = '{operation}' THEN
                PERFORM 1 FROM {CONTACT} AS c JOIN ({touched}) AS t ON c.id = t.contact_id
                    ORDER BY c.id FOR UPDATE OF c;
                UPDATE {CONTACT} AS c SET {column} = {_aggregate(column, "c")}
                    FROM ({touched}) AS t WHERE c.id = t.contact_id;
            END IF;"""
        )
    body = "\n            ".join(statements)
    return f"""
        BEGIN
            {body}
            RETURN NULL;
        END
    """


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column, (table, element, condition) in LISTS.items():
        schema_editor.execute(f"ALTER TABLE {CONTACT} ADD COLUMN {column} bigint[] NOT NULL DEFAULT '{{}}'")
        # Existing rows first, while the migration holds the table's lock from adding the column.
        schema_editor.execute(
            f"UPDATE {CONTACT} AS c SET {column} = m.ids FROM ("
            f"SELECT contact_id, array_agg(DISTINCT {element} ORDER BY {element}) AS ids FROM {table} "
            f"WHERE {condition} GROUP BY contact_id) AS m WHERE m.contact_id = c.id"
        )
    # The updates queued the table's deferred foreign-key checks; an index cannot be built
    # while they are pending.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for column, (table, _element, _condition) in LISTS.items():
        schema_editor.execute(
            f"CREATE FUNCTION {_function(column)}() RETURNS trigger LANGUAGE plpgsql AS $${_function_body(column)}$$"
        )
        for operation, references in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
        ):
            schema_editor.execute(
                f"CREATE TRIGGER {_function(column)}_{operation.lower()} AFTER {operation} ON {table} "
                f"REFERENCING {references} FOR EACH STATEMENT EXECUTE FUNCTION {_function(column)}()"
            )
        schema_editor.execute(f"CREATE INDEX {INDEXES[column]} ON {CONTACT} USING gin ({column})")
    schema_editor.execute(
        f"ALTER TABLE {CONTACT} ALTER COLUMN search_vector SET STATISTICS {SEARCH_VECTOR_STATISTICS}"
    )
    # Every row was rewritten above; plans of the filters need the lists' statistics at once.
    schema_editor.execute(f"ANALYZE {CONTACT}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column, (table, _element, _condition) in LISTS.items():
        for operation in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_function(column)}_{operation} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {_function(column)}()")
        schema_editor.execute(f"ALTER TABLE {CONTACT} DROP COLUMN IF EXISTS {column}")
    schema_editor.execute(f"ALTER TABLE {CONTACT} ALTER COLUMN search_vector SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0010_search_vector"),
    ]

    operations = [migrations.RunPython(create, drop)]
