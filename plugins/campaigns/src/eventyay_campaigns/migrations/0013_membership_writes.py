"""Cheaper membership triggers: contact rows rewritten in id order, and only when a list changes.

PostgreSQL only, like migration 0011, whose trigger functions this replaces (same names, same
triggers). A membership write costs a rewrite of each contact row it touches: the lists are
indexed, so the new row version can never be a HOT update and gets an entry in each of the
contact table's indexes (26 at this migration). Two things made bulk writes cost far more:

* The touched contacts were rewritten in hash order. A bulk write touching 50,000 contacts
  then visited the table's and the id indexes' pages at random, and with a table larger than
  the shared buffers every page was read, dirtied and written back up to once per row on it:
  500,000 buffers written instead of 85,000, twice the time, in the bench. The functions now
  lock and rewrite the contacts sorted by id (the order of the table and of its id indexes).
* Every touched contact was rewritten, changed or not: an attended fact of an event the
  contact already lists (a second order for the same event), or a removed fact while
  another fact of the same event remains. Such rows are now left alone.

The lists are still recomputed from the membership table after locking the contacts, for the
reason 0011 gives; the lock is taken whether the list changes or not, so a transaction that
removes a fact waits for one that adds another fact of the same event, and sees it.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

memberships = import_module("eventyay_campaigns.migrations.0011_contact_memberships")
CONTACT = memberships.CONTACT
LISTS = memberships.LISTS


def _list(column: str, contact_id: str) -> str:
    """The list of the contact ``contact_id``, read from its membership table (as in 0011)."""
    table, element, condition = LISTS[column]
    return (
        f"coalesce((SELECT array_agg(DISTINCT m.{element} ORDER BY m.{element}) FROM {table} AS m "
        f"WHERE m.contact_id = {contact_id} AND {condition}), '{{}}')"
    )


def _function_body(column: str) -> str:
    _table, _element, condition = LISTS[column]
    new_rows = f"SELECT contact_id FROM new_rows WHERE {condition}"
    old_rows = f"SELECT contact_id FROM old_rows WHERE {condition}"
    statements = []
    for operation, rows in (
        ("INSERT", new_rows),
        ("DELETE", old_rows),
        ("UPDATE", f"{new_rows} UNION {old_rows}"),
    ):
        # Sorted: a subquery with ORDER BY is not flattened, and the join (a nested loop over the
        # primary key for the few rows a transition table is estimated at) keeps its order.
        touched = f"SELECT DISTINCT contact_id FROM ({rows}) AS t ORDER BY contact_id"
        recomputed = (
            f"SELECT t.contact_id, {_list(column, 't.contact_id')} AS list "
            f"FROM ({touched}) AS t ORDER BY t.contact_id"
        )
        statements.append(
            f"""IF TG_OP = '{operation}' THEN
                PERFORM 1 FROM {CONTACT} AS c JOIN ({touched}) AS t ON c.id = t.contact_id
                    ORDER BY c.id FOR UPDATE OF c;
                UPDATE {CONTACT} AS c SET {column} = n.list FROM ({recomputed}) AS n
                    WHERE c.id = n.contact_id AND c.{column} IS DISTINCT FROM n.list;
            END IF;"""
        )
    body = "\n            ".join(statements)
    return f"""
        BEGIN
            {body}
            RETURN NULL;
        END
    """


def _replace(schema_editor: Any, body: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in LISTS:
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {memberships._function(column)}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $${body(column)}$$"
        )


def create(apps: Any, schema_editor: Any) -> None:
    _replace(schema_editor, _function_body)


def restore(apps: Any, schema_editor: Any) -> None:
    _replace(schema_editor, memberships._function_body)


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0012_message_sent_index"),
    ]

    operations = [migrations.RunPython(create, restore)]
