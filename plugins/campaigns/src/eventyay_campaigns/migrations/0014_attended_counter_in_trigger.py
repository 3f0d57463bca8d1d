"""``events_attended`` written by the attended-events trigger, in the same row rewrite.

PostgreSQL only, like migrations 0011 and 0013, whose trigger function for
``attended_event_ids`` this replaces (same name, same trigger). The counter is the number of
distinct events the contact attended, which is exactly the length of that list. The service
used to move it with an ``UPDATE`` of its own after the history row was written, so every new
attended event rewrote the contact row twice (the list by the trigger, then the counter), and
each rewrite adds an entry to every index of the contact table. Now the trigger sets both in
one ``UPDATE``, and the services leave ``events_attended`` to it on PostgreSQL
(:func:`eventyay_campaigns.services.contacts.counted_by_database`). The migration sets the
counter of every contact whose value differs from its list.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

memberships = import_module("eventyay_campaigns.migrations.0011_contact_memberships")
membership_writes = import_module("eventyay_campaigns.migrations.0013_membership_writes")
CONTACT = memberships.CONTACT
COLUMN = "attended_event_ids"
COUNTER = "events_attended"


def _function_body(column: str) -> str:
    body: str = membership_writes._function_body(column)
    assignment = f"SET {column} = n.list FROM"
    assert assignment in body
    return body.replace(assignment, f"SET {column} = n.list, {COUNTER} = cardinality(n.list) FROM")


def _replace(schema_editor: Any, body: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {memberships._function(COLUMN)}() RETURNS trigger "
        f"LANGUAGE plpgsql AS $${body(COLUMN)}$$"
    )


def create(apps: Any, schema_editor: Any) -> None:
    _replace(schema_editor, _function_body)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"UPDATE {CONTACT} SET {COUNTER} = cardinality({COLUMN}) "
            f"WHERE {COUNTER} IS DISTINCT FROM cardinality({COLUMN})"
        )


def restore(apps: Any, schema_editor: Any) -> None:
    _replace(schema_editor, membership_writes._function_body)


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0013_membership_writes"),
    ]

    operations = [migrations.RunPython(create, restore)]
