"""A stored search vector for contacts, kept by a trigger and indexed with GIN (PostgreSQL).

The column exists on both databases (always empty on SQLite, which searches with
``icontains``); the trigger, the backfill and the index exist on PostgreSQL only, like the
indexes of migration 0002. The GIN index on the column replaces 0002's expression index,
which searches no longer use.

Why a trigger and not ``Contact.save()`` or a signal: contacts are also written by
``bulk_create`` and ``bulk_update``, ``QuerySet.update()`` (counters, merges, erasure), and
plain SQL (the bench generator, data loads); none of these calls ``save()`` or sends signals,
and a vector missed once stays wrong until the row is edited again. The database sees every
write. Why not a generated column: Django writes every model field on insert and update, and
PostgreSQL rejects values written to a generated column; the model keeps an ordinary nullable
field that the trigger overwrites.

The trigger fires only when a searched column (or the vector itself) is in the ``UPDATE``, so
the counter updates of every order do not recompute it.
"""

from typing import Any

import django.contrib.postgres.search
from django.db import migrations

TABLE = "eventyay_campaigns_contact"
FUNCTION = "eventyay_campaigns_contact_search_vector"
TRIGGER = "eventyay_campaigns_contact_search_vector"
INDEX = "campaigns_contact_search_vector"
OLD_INDEX = "campaigns_contact_search"
OLD_INDEX_DEFINITION = (
    "USING gin (to_tsvector('simple'::regconfig, coalesce(first_name, '') || ' ' || coalesce(last_name, '')"
    " || ' ' || coalesce(email, '') || ' ' || coalesce(company, '')))"
)


def document(row: str) -> str:
    """The vector of a row: names, company, the address whole and split into its words.

    PostgreSQL's parser keeps an address as one token, so ``smith`` or ``example`` would not
    find ``john.smith@example.org``; its words (split on anything not alphanumeric, as the
    search splits the query) are added.
    """
    columns = " || ' ' || ".join(
        [
            *(f"coalesce({row}.{name}, '')" for name in ("first_name", "last_name", "company", "email")),
            f"regexp_replace(coalesce({row}.email, ''), '[^[:alnum:]]+', ' ', 'g')",
        ]
    )
    return f"to_tsvector('simple'::regconfig, {columns})"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN NEW.search_vector := {document('NEW')}; RETURN NEW; END $$"
    )
    # Existing rows first, while the migration holds the table's lock from adding the column.
    schema_editor.execute(f"UPDATE {TABLE} AS c SET search_vector = {document('c')}")
    # An update of rows written earlier in the same transaction queues their deferred
    # foreign-key checks, and no trigger or index can be created while they are pending.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF first_name, last_name, company, email, "
        f"search_vector ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    schema_editor.execute(f"CREATE INDEX {INDEX} ON {TABLE} USING gin (search_vector)")
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON {TABLE} {OLD_INDEX_DEFINITION}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0009_campaign_figures"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
    ]
