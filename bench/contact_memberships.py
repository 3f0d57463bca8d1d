"""Membership writes at scale: bulk tag links and attended events added and removed.

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench \\
    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
        .venv/bin/python bench/contact_memberships.py --reuse SLUG [--sizes 10000 50000]

Each contact row lists its tag ids and attended event ids (PostgreSQL, migration 0011), kept by
triggers on the membership tables; so every membership write also rewrites the contact rows
it touches. For each size the script adds a new tag to that many contacts in one statement
(as a segment-wide tagging or an import does), deletes the tag (its links go by cascade, in
one statement), adds as many attended facts of one event and deletes them again, each in a
transaction of its own, and prints the milliseconds of each and the load average. It then
checks that the lists on the rows equal the membership tables. Without ``--reuse`` it first
generates an organizer with ``bench/contacts.py`` (``--contacts``, ``--history``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import contacts as contacts_bench  # sets up Django
from django.core.management import call_command
from django.db import connection, transaction
from django_scopes import scope, scopes_disabled
from eventyay_campaigns.models import Contact, ContactEvent, ContactTag, Tag

from eventyay.base.models import Event, Organizer


def _timed(label: str, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    with transaction.atomic():
        work()
    elapsed = (time.perf_counter() - started) * 1000
    load = os.getloadavg()[0]
    print(f"{elapsed:9.0f} ms  {label}  (load {load:.2f})", flush=True)
    return elapsed


def _vacuum() -> None:
    # Each run leaves a dead version of every touched contact; without autovacuum (or before
    # it comes) the next run would pay for them.
    with connection.cursor() as cursor:
        for table in ("contact", "contacttag", "contactevent", "tag"):
            cursor.execute(f"VACUUM ANALYZE eventyay_campaigns_{table}")


def lists_mismatched(organizer: Organizer) -> int:
    """Contacts of ``organizer`` whose lists differ from their membership rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM eventyay_campaigns_contact AS c
            WHERE c.organizer_id = %s AND (
                c.tag_ids IS DISTINCT FROM coalesce((
                    SELECT array_agg(DISTINCT m.tag_id ORDER BY m.tag_id)
                    FROM eventyay_campaigns_contacttag AS m WHERE m.contact_id = c.id), '{}')
                OR c.attended_event_ids IS DISTINCT FROM coalesce((
                    SELECT array_agg(DISTINCT m.event_id ORDER BY m.event_id)
                    FROM eventyay_campaigns_contactevent AS m
                    WHERE m.contact_id = c.id AND m.kind = 'attended'), '{}'))
            """,
            [organizer.pk],
        )
        return int(cursor.fetchone()[0])


def run(organizer: Organizer, sizes: list[int]) -> None:
    with scope(organizer=organizer):
        event = Event.objects.filter(organizer=organizer).order_by("id").first()
        assert event is not None
        for size in sizes:
            # Every third contact, so the rows are spread over the table as a segment's are.
            ids = list(
                Contact.objects.filter(organizer=organizer)
                .order_by("id")
                .values_list("pk", flat=True)[: size * 3 : 3]
            )
            tag = Tag.objects.create(organizer=organizer, name=f"bulk{time.time_ns()}")
            _vacuum()
            _timed(
                f"add {len(ids):,} tag links",
                lambda ids=ids, tag=tag: ContactTag.objects.bulk_create(
                    ContactTag(contact_id=pk, tag=tag) for pk in ids
                ),
            )
            _vacuum()
            _timed(f"delete a tag of {len(ids):,} contacts", tag.delete)
            _vacuum()
            source = f"bench:{time.time_ns()}"
            _timed(
                f"add {len(ids):,} attended facts",
                lambda ids=ids, source=source: ContactEvent.objects.bulk_create(
                    ContactEvent(
                        organizer=organizer, contact_id=pk, event=event, kind="attended", source=source
                    )
                    for pk in ids
                ),
            )
            _vacuum()
            _timed(
                f"delete {len(ids):,} attended facts",
                lambda source=source: ContactEvent.objects.filter(
                    organizer=organizer, source=source
                ).delete(),
            )
            _vacuum()
    print(f"contacts whose lists differ from their memberships: {lists_mismatched(organizer)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--reuse", metavar="SLUG", help="an organizer populated by an earlier run")
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        print("the lists exist on PostgreSQL only", file=sys.stderr)
        return 1
    if args.reuse:
        call_command("migrate", verbosity=0, interactive=False)
        with scopes_disabled():
            organizer = Organizer.objects.get(slug=args.reuse)
    else:
        organizer = contacts_bench.populate(contacts=args.contacts, history=args.history)
    print(f"organizer {organizer.slug}")
    run(organizer, args.sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
