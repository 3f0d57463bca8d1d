"""The PostgreSQL migrations of derived contact columns, run over a table that has rows.

Migrations 0010 (search vector; 0015 the words that begin no searched column) and 0011 (tag
and attended-event lists) backfill existing rows and then create triggers and indexes (0014
sets the attended count from the list); PostgreSQL refuses the latter while the table has
pending trigger events, such as the deferred foreign-key checks an update of rows written in
the same transaction queues. The test migrates the campaigns app back to 0009, writes contacts,
memberships and history with the models of that state, and migrates forward again, all in
the test's one transaction, the strictest case: the rows are as new as they can be.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db, pytest.mark.services]

APP = "eventyay_campaigns"
BEFORE = (APP, "0009_campaign_figures")


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def test_migrating_forward_fills_the_derived_columns_of_existing_rows(
    organizer: Any, crm_event: Any, make_event: Any
) -> None:
    other = make_event(slug="other")
    executor = _migrate([BEFORE])
    apps = executor.loader.project_state([BEFORE]).apps
    Contact = apps.get_model(APP, "Contact")
    Tag = apps.get_model(APP, "Tag")
    ContactTag = apps.get_model(APP, "ContactTag")
    ContactEvent = apps.get_model(APP, "ContactEvent")
    ann = Contact.objects.create(
        organizer_id=organizer.pk,
        email="john.smith@example.org",
        first_name="Ann",
        last_name="Lovelace",
        company="Analytical Engines",
        events_attended=2,
        events_registered=1,
    )
    # Bob's attended count disagrees with his history (none): 0014 sets it from the history.
    bob = Contact.objects.create(
        organizer_id=organizer.pk, email="bob@example.org", first_name="Bob", events_attended=3
    )
    vip, press = (Tag.objects.create(organizer_id=organizer.pk, name=name) for name in ("vip", "press"))
    ContactTag.objects.bulk_create(
        [
            ContactTag(contact=ann, tag=vip),
            ContactTag(contact=ann, tag=press),
            ContactTag(contact=bob, tag=vip),
        ]
    )
    ContactEvent.objects.bulk_create(
        ContactEvent(organizer_id=organizer.pk, contact=ann, event_id=event.pk, kind=kind, source=source)
        for event, kind, source in (
            (crm_event, "attended", "order:A1"),
            (crm_event, "attended", "order:A2"),
            (other, "attended", "manual:1"),
            (other, "registered", "manual:1"),
        )
    )
    # Counters of this state, kept by the services: the migrations must leave them alone, but
    # for an attended count that is not the number of events attended.
    counters = ("events_attended", "events_registered", "events_hosted", "talks_given")
    before = {c.pk: [getattr(c, name) for name in counters] for c in Contact.objects.all()}
    before[bob.pk][0] = 0
    with connection.cursor() as cursor:
        # The foreign-key checks of the inserts, which a committed table has behind it, run now;
        # the checks stay deferred, as in the migrating transaction of a real database.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    leaves = [node for node in executor.loader.graph.leaf_nodes() if node[0] == APP]
    _migrate(leaves)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tag_ids, attended_event_ids, events_attended, events_registered, events_hosted,"
            " talks_given, search_vector @@ to_tsquery('simple', 'smith'),"
            " search_vector @@ to_tsquery('simple', 'analytical & lovelace'), search_rest::text"
            " FROM eventyay_campaigns_contact WHERE id IN (%s, %s)",
            [ann.pk, bob.pk],
        )
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    assert rows[ann.pk] == (
        sorted([vip.pk, press.pk]),
        sorted([crm_event.pk, other.pk]),
        *before[ann.pk],
        True,
        True,
        # 0015: the words that begin no searched column ("smith" is inside the address).
        "'engines' 'example' 'org' 'smith'",
    )
    assert rows[bob.pk] == ([vip.pk], [], *before[bob.pk], False, False, "'example' 'org'")

    # The triggers the migrations left behind keep the columns from here on.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM eventyay_campaigns_contacttag WHERE tag_id = %s", [vip.pk])
        cursor.execute("UPDATE eventyay_campaigns_contact SET last_name = 'Smith' WHERE id = %s", [bob.pk])
        cursor.execute(
            "SELECT tag_ids, search_vector @@ to_tsquery('simple', 'smith'), search_rest::text"
            " FROM eventyay_campaigns_contact WHERE id IN (%s, %s) ORDER BY id",
            [ann.pk, bob.pk],
        )
        assert cursor.fetchall() == [
            ([press.pk], True, "'engines' 'example' 'org' 'smith'"),
            ([], True, "'example' 'org'"),
        ]
