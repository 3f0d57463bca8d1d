"""Indexes only PostgreSQL has: the full-text document and the custom fields (JSONB).

SQLite gets no equivalent; its searches scan, which is fine at its scale.
"""

from typing import Any

from django.db import migrations

SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(first_name, '') || ' ' || coalesce(last_name, '')"
    " || ' ' || coalesce(email, '') || ' ' || coalesce(company, ''))"
)
INDEXES = {
    "campaigns_contact_search": f"USING gin ({SEARCH_DOCUMENT})",
    "campaigns_contact_custom": "USING gin (custom_fields jsonb_path_ops)",
}


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {name} ON eventyay_campaigns_contact {definition}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("eventyay_campaigns", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
