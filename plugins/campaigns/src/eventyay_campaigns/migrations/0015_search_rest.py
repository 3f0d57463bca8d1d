"""The words of a contact that do not begin a searched column: ``search_rest`` (PostgreSQL).

A search sorted by one of the searched columns (``smith`` by last name, the contact list's
default order) finds its matches in two places: contacts whose column begins with the term,
which lie together in the column's sort index (every Smith in one stretch), and contacts that
carry the term elsewhere (an address ``ann.smith@``, a company "Blacksmith Smithy", a second
name). The first are found by a range of the sort index, the second by this column: the
lexemes of ``search_vector`` without those that begin one of the searched columns as written
(lower case, upper case, or with a capital first letter, the forms names are typed in), kept
by the trigger of 0010 and indexed with GIN. From both, the query layer bounds the sort
column's values of every match
(:meth:`eventyay_campaigns.selectors.DatabaseContactQuery._search_bound`), so the page of
``smith`` by last name walks the sort index from the first Smith instead of from the first
contact, or collecting all 125,000 Smiths of the benchmark to sort them.

Like ``tag_ids``, the column is not a model field: only the trigger writes it. Positions are
stripped: only matching uses it.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

vector_migration = import_module("eventyay_campaigns.migrations.0010_search_vector")
memberships = import_module("eventyay_campaigns.migrations.0011_contact_memberships")

TABLE = "eventyay_campaigns_contact"
COLUMN = "search_rest"
INDEX = "campaigns_contact_search_rest"
#: ``rest(vector, first_name, last_name, company, email)``: the vector without the lexemes that
#: begin one of the columns, in one of the three forms the query layer looks up.
REST = "eventyay_campaigns_contact_search_rest"
VECTOR_FUNCTION = "eventyay_campaigns_contact_search_vector"
COLUMNS = ("first_name", "last_name", "company", "email")


def rest(row: str) -> str:
    columns = ", ".join(f"{row}.{name}" for name in COLUMNS)
    return f"{REST}({row}.search_vector, {columns})"


def _trigger_body(with_rest: bool) -> str:
    document = vector_migration.document("NEW")
    assignments = f"NEW.search_vector := {document}; "
    if with_rest:
        assignments += f"NEW.{COLUMN} := {rest('NEW')}; "
    return f"BEGIN {assignments}RETURN NEW; END"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} ADD COLUMN {COLUMN} tsvector")
    schema_editor.execute(
        f"CREATE FUNCTION {REST}(vector tsvector, VARIADIC columns text[]) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        "SELECT ts_delete(strip(vector), coalesce(array_agg(word.lexeme), '{}'::text[])) "
        "FROM unnest(vector) AS word WHERE EXISTS ("
        "SELECT 1 FROM unnest(columns) AS c(value) "
        "WHERE starts_with(c.value, word.lexeme) OR starts_with(c.value, upper(word.lexeme)) "
        "OR starts_with(c.value, upper(left(word.lexeme, 1)) || substr(word.lexeme, 2))) $$"
    )
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {VECTOR_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"{_trigger_body(with_rest=True)} $$"
    )
    schema_editor.execute(f"UPDATE {TABLE} AS c SET {COLUMN} = {rest('c')}")
    # As in 0010: no index while the update above left deferred checks pending.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(f"CREATE INDEX {INDEX} ON {TABLE} USING gin ({COLUMN})")
    # As many lexemes in the statistics as for the vector (0011): the query layer asks the
    # planner how many contacts a prefix finds here before it relies on the column.
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STATISTICS {memberships.SEARCH_VECTOR_STATISTICS}"
    )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {VECTOR_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"{_trigger_body(with_rest=False)} $$"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {REST}(tsvector, text[])")


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0014_attended_counter_in_trigger"),
    ]

    operations = [migrations.RunPython(create, drop)]
