"""Contact import: seconds and statements for a file of many rows, as the import job runs it.

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench \\
    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
        .venv/bin/python bench/contacts_import.py [--rows 10000] [--quick]

A fresh organizer with a custom field first gets half of the addresses by an import. Then a
file of ``--rows`` rows (half of them those addresses, every row with a name, a city, two tags
and a custom field value, one tag new to the organizer) is dry-run and imported, each in its
own transaction through ``contacts_import``, and the script prints the seconds, the rows per
second and the statements of each. It exits non-zero if the import did not create and update
what the file says.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_scopes import scope  # noqa: E402
from eventyay_campaigns import importing  # noqa: E402
from eventyay_campaigns.models import Contact, CustomFieldDefinition  # noqa: E402

from eventyay.base.models import Organizer, User  # noqa: E402
from eventyay.base.services.organizers import organizer_create  # noqa: E402

HEADER = ["email", "first_name", "last_name", "city", "tags", "tier"]
MAPPING = {0: "email", 1: "first_name", 2: "last_name", 3: "city", 4: "tags", 5: "cf_tier"}


def _rows(numbers: range, tag: str) -> list[list[str]]:
    return [
        [
            f"person{n}@example.org",
            f"First{n}",
            f"Last{n % 997}",
            f"City{n % 500}",
            f"tag{n % 50},{tag}",
            "gold",
        ]
        for n in numbers
    ]


def _timed_import(organizer: Organizer, rows: list[list[str]], *, dry_run: bool) -> importing.ImportResult:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = importing.contacts_import(
            organizer=organizer, header=HEADER, rows=rows, mapping=MAPPING, dry_run=dry_run
        )
    elapsed = time.perf_counter() - started
    label = "dry run" if dry_run else "import "
    print(
        f"{label}  {len(rows):6d} rows  {elapsed:7.2f} s  {len(rows) / elapsed:8.0f} rows/s  "
        f"{len(queries.captured_queries):6d} statements  (created {result.created}, updated {result.updated}, "
        f"{len(result.errors)} errors; load {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 rows, to check that the script works")
    args = parser.parse_args(argv)
    rows_total = 1_000 if args.quick else args.rows
    call_command("migrate", verbosity=0, interactive=False)
    owner, _created = User.objects.get_or_create(email="bench-import@example.org")
    slug = f"import{uuid.uuid4().hex[:8]}"
    organizer = organizer_create(name=f"Import bench {slug}", slug=slug, creator=owner)
    print(f"{connection.vendor}, organizer {slug}", flush=True)
    with scope(organizer=organizer):
        CustomFieldDefinition.objects.create(
            organizer=organizer, key="tier", label="Tier", type="choice", choices=["gold", "silver"]
        )
        # Settings.DEBUG is off: CaptureQueriesContext turns the query log on for itself.
        first = _timed_import(organizer, _rows(range(0, rows_total, 2), "early"), dry_run=False)
        rows = _rows(range(rows_total), "late")
        dry = _timed_import(organizer, rows, dry_run=True)
        done = _timed_import(organizer, rows, dry_run=False)
        expected = (rows_total - len(range(0, rows_total, 2)), len(range(0, rows_total, 2)))
        stored = Contact.objects.filter(organizer=organizer).count()
    problems = []
    if not first.written or not done.written:
        problems.append("an import was not written")
    if (dry.created, dry.updated) != expected or (done.created, done.updated) != expected:
        problems.append(f"expected {expected} created/updated")
    if stored != rows_total:
        problems.append(f"{stored} contacts stored, expected {rows_total}")
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
