"""Tags and attended events listed on the contact row (PostgreSQL, migration 0011).

Triggers on the membership tables keep ``tag_ids`` and ``attended_event_ids`` whatever writes
the memberships: services, bulk writes, cascades, merges, plain SQL. The filters read the
lists through their GIN indexes; what they find is tested in both modes by the filter tests.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.db import connection
from django_scopes import scope
from eventyay_campaigns.models import Contact, ContactEvent, ContactTag, Tag
from eventyay_campaigns.selectors import ContactCriteria, contacts_matching
from eventyay_campaigns.services import automation
from eventyay_campaigns.services import contacts as contact_services

from .conftest import fake_order

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def lists(contact: Contact) -> tuple[list[int], list[int]]:
    """The contact's tag ids and attended event ids as stored on its row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tag_ids, attended_event_ids FROM eventyay_campaigns_contact WHERE id = %s", [contact.pk]
        )
        tags, events = cursor.fetchone()
    return tags, events


def tag_ids(organizer: Any, *names: str) -> list[int]:
    with scope(organizer=organizer):
        return sorted(Tag.objects.filter(organizer=organizer, name__in=names).values_list("pk", flat=True))


def test_tags_follow_the_services(organizer: Any, make_contact: Any) -> None:
    contact = make_contact("ann@example.org", tags=["vip", "press"])
    assert lists(contact) == (tag_ids(organizer, "vip", "press"), [])
    with scope(organizer=organizer):
        contact_services.contact_save(organizer=organizer, contact=contact, data={"tags": ["press", "staff"]})
        assert lists(contact)[0] == tag_ids(organizer, "press", "staff")
        automation.contact_tag_add(contact=contact, name="vip")
        automation.contact_tag_remove(contact=contact, name="press")
        assert lists(contact)[0] == tag_ids(organizer, "vip", "staff")
        Tag.objects.filter(organizer=organizer, name="staff").delete()
    assert lists(contact)[0] == tag_ids(organizer, "vip")


def test_attended_events_follow_orders_cancellations_and_event_deletion(
    organizer: Any, crm_event: Any, make_event: Any, make_contact: Any
) -> None:
    other = make_event(slug="other")
    with scope(organizer=organizer):
        contact_services.order_record(
            event=crm_event,
            order=fake_order("A1", "ann@example.org", ("ann@example.org", "Ann", 1)),
            paid=True,
        )
        contact_services.order_record(
            event=crm_event,
            order=fake_order("A2", "ann@example.org", ("ann@example.org", "Ann", 1)),
            paid=True,
        )
        ann = Contact.objects.get(email_key="ann@example.org")
        contact_services.history_record(contact=ann, event=other, kind="attended", source="manual:1")
        contact_services.history_record(contact=ann, event=other, kind="registered", source="manual:2")
        assert lists(ann)[1] == sorted([crm_event.pk, other.pk])
        # Two orders for one event: the event stays listed until the last of them is canceled.
        contact_services.history_remove(organizer=organizer, source="order:A1", kinds=["attended"])
        assert lists(ann)[1] == sorted([crm_event.pk, other.pk])
        contact_services.history_remove(organizer=organizer, source="order:A2", kinds=["attended"])
        assert lists(ann)[1] == [other.pk]
    other.delete()
    assert lists(ann)[1] == []


def test_lists_follow_bulk_writes_updates_and_plain_sql(
    organizer: Any, crm_event: Any, make_event: Any, make_contact: Any
) -> None:
    ann, bob = make_contact("ann@example.org"), make_contact("bob@example.org")
    other = make_event(slug="other")
    with scope(organizer=organizer):
        vip = Tag.objects.create(organizer=organizer, name="vip")
        ContactTag.objects.bulk_create([ContactTag(contact=ann, tag=vip), ContactTag(contact=bob, tag=vip)])
        ContactEvent.objects.bulk_create(
            ContactEvent(organizer=organizer, contact=c, event=crm_event, kind="attended", source=f"s:{c.pk}")
            for c in (ann, bob)
        )
        assert lists(ann) == lists(bob) == ([vip.pk], [crm_event.pk])
        # A fact changing its kind or its contact moves both contacts' lists.
        ContactEvent.objects.filter(contact=bob).update(kind="registered")
        ContactEvent.objects.filter(contact=ann).update(contact=bob, event=other)
        ContactTag.objects.filter(contact=ann).delete()
        assert lists(ann) == ([], []) and lists(bob) == ([vip.pk], [other.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO eventyay_campaigns_contactevent (organizer_id, contact_id, event_id, kind, source, created)"
            " VALUES (%s, %s, %s, 'attended', 'load:1', now())",
            [organizer.pk, ann.pk, crm_event.pk],
        )
    assert lists(ann) == ([], [crm_event.pk])


def test_a_stale_contact_saved_after_a_tag_keeps_the_lists(organizer: Any, make_contact: Any) -> None:
    """The lists are no model fields: saving an instance read before the tag writes no old list."""
    contact = make_contact("ann@example.org")
    with scope(organizer=organizer):
        stale = Contact.objects.get(pk=contact.pk)
        automation.contact_tag_add(contact=contact, name="vip")
        stale.first_name = "Ann"
        stale.save()
    assert lists(contact)[0] == tag_ids(organizer, "vip")


def test_merge_and_erasure_move_the_lists(organizer: Any, crm_event: Any, make_contact: Any) -> None:
    target = make_contact("ann@example.org", tags=["press"])
    duplicate = make_contact("ann.private@example.org", tags=["vip"])
    with scope(organizer=organizer):
        contact_services.history_record(
            contact=duplicate, event=crm_event, kind="attended", source="manual:1"
        )
        contact_services.contacts_merge(target=target, duplicate=duplicate)
        assert lists(target) == (tag_ids(organizer, "press", "vip"), [crm_event.pk])
        erased = contact_services.contact_erase(contact=Contact.objects.get(pk=target.pk))
    assert lists(erased)[0] == []


def test_migration_backfills_existing_rows(organizer: Any, crm_event: Any, make_contact: Any) -> None:
    migration = import_module("eventyay_campaigns.migrations.0011_contact_memberships")
    contact = make_contact("ann@example.org", tags=["vip"])
    with scope(organizer=organizer):
        contact_services.history_record(contact=contact, event=crm_event, kind="attended", source="manual:1")
    expected = lists(contact)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {migration.CONTACT} SET tag_ids = '{{}}', attended_event_ids = '{{}}'")
        assert lists(contact) == ([], [])
        for column in migration.LISTS:
            cursor.execute(
                f"UPDATE {migration.CONTACT} AS c SET {column} = {migration._aggregate(column, 'c')}"
            )
    assert lists(contact) == expected and expected[0] and expected[1]


def test_the_filters_read_the_lists_as_a_subquery_too(
    organizer: Any, crm_event: Any, make_contact: Any
) -> None:
    """The list condition follows the table's alias when the contacts are a subquery."""
    ann = make_contact("ann@example.org", tags=["vip"])
    make_contact("bob@example.org", tags=["vip"])
    with scope(organizer=organizer):
        contact_services.history_record(contact=ann, event=crm_event, kind="attended", source="manual:1")
        criteria = ContactCriteria(tag="VIP", attended_event=crm_event)
        matching = contacts_matching(organizer=organizer, criteria=criteria)
        assert list(matching.values_list("email", flat=True)) == ["ann@example.org"]
        outer = Contact.objects.filter(pk__in=matching.order_by().values("pk"))
        assert list(outer.values_list("email", flat=True)) == ["ann@example.org"]
        assert not contacts_matching(organizer=organizer, criteria=ContactCriteria(tag="nobody")).exists()


def row_version(contact: Contact) -> str:
    """Where the contact's row version is: it moves whenever the row is rewritten."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM eventyay_campaigns_contact WHERE id = %s", [contact.pk])
        return str(cursor.fetchone()[0])


def test_bulk_statements_keep_the_lists_exact(organizer: Any, crm_event: Any, make_event: Any) -> None:
    """One statement over many contacts (an import, a tag's deletion): every list is right."""
    other = make_event(slug="other")
    with scope(organizer=organizer):
        people = Contact.objects.bulk_create(
            Contact(organizer=organizer, email=f"p{n}@example.org") for n in range(30)
        )
        vip, press = (Tag.objects.create(organizer=organizer, name=name) for name in ("vip", "press"))
        ContactTag.objects.bulk_create(ContactTag(contact=c, tag=vip) for c in people)
        ContactTag.objects.bulk_create(ContactTag(contact=c, tag=press) for c in people[::2])
        ContactEvent.objects.bulk_create(
            ContactEvent(organizer=organizer, contact=c, event=event, kind="attended", source=f"s:{n}")
            for n, c in enumerate(people)
            for event in (crm_event, other)
        )
        assert lists(people[0]) == (sorted([vip.pk, press.pk]), sorted([crm_event.pk, other.pk]))
        assert lists(people[1]) == ([vip.pk], sorted([crm_event.pk, other.pk]))
        vip.delete()
        ContactEvent.objects.filter(contact__in=people[:10], event=other).delete()
    assert [lists(c) for c in people[:2]] == [([press.pk], [crm_event.pk]), ([], [crm_event.pk])]
    assert lists(people[-1]) == ([], sorted([crm_event.pk, other.pk]))


def test_a_write_that_leaves_a_list_unchanged_leaves_the_row_alone(
    organizer: Any, crm_event: Any, make_contact: Any
) -> None:
    """A second fact of a listed event, or one of two removed, rewrites no contact row."""
    contact = make_contact("ann@example.org")
    with scope(organizer=organizer):
        contact_services.history_record(contact=contact, event=crm_event, kind="attended", source="order:A1")
        before = row_version(contact)
        ContactEvent.objects.create(
            organizer=organizer, contact=contact, event=crm_event, kind="attended", source="order:A2"
        )
        ContactEvent.objects.filter(contact=contact, source="order:A1").delete()
        ContactEvent.objects.create(
            organizer=organizer, contact=contact, event=crm_event, kind="registered", source="order:A2"
        )
        assert row_version(contact) == before
        ContactEvent.objects.filter(contact=contact, kind="attended").delete()
    assert row_version(contact) != before and lists(contact) == ([], [])


def test_list_writes_leave_the_search_vector_trigger_alone() -> None:
    """The search vector is recomputed only for an update naming a searched column (0010)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'eventyay_campaigns_contact_search_vector'"
        )
        (definition,) = cursor.fetchone()
    assert "UPDATE OF first_name, last_name, company, email, search_vector ON" in definition
    assert "tag_ids" not in definition and "attended_event_ids" not in definition


def test_merge_moves_the_history_and_recounts(
    organizer: Any, crm_event: Any, make_event: Any, make_contact: Any
) -> None:
    other = make_event(slug="other")
    target = make_contact("ann@example.org")
    duplicate = make_contact("ann.private@example.org")
    with scope(organizer=organizer):
        for contact, event, source in (
            (target, crm_event, "order:A1"),
            (duplicate, crm_event, "order:A1"),
            (duplicate, crm_event, "order:B1"),
            (duplicate, other, "order:B2"),
        ):
            contact_services.history_record(contact=contact, event=event, kind="attended", source=source)
        contact_services.history_record(contact=duplicate, event=other, kind="spoke", source="submission:X")
        merged = contact_services.contacts_merge(target=target, duplicate=duplicate)
        facts = sorted(ContactEvent.objects.filter(contact=merged).values_list("event_id", "kind", "source"))
        assert not Contact.objects.filter(pk=duplicate.pk).exists()
    assert facts == sorted(
        [
            (crm_event.pk, "attended", "order:A1"),
            (crm_event.pk, "attended", "order:B1"),
            (other.pk, "attended", "order:B2"),
            (other.pk, "spoke", "submission:X"),
        ]
    )
    assert (merged.events_attended, merged.talks_given) == (2, 1)
    assert lists(merged)[1] == sorted([crm_event.pk, other.pk])


def _contact_rewrites() -> int:
    """Contact rows rewritten so far in this transaction (the test's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'eventyay_campaigns_contact'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def test_a_new_attended_event_rewrites_the_contact_once_and_counts_it(
    organizer: Any, crm_event: Any, make_event: Any, make_contact: Any
) -> None:
    other = make_event(slug="other")
    contact = make_contact("ann@example.org")
    with scope(organizer=organizer):
        before = _contact_rewrites()
        assert contact_services.history_record(
            contact=contact, event=crm_event, kind="attended", source="order:A1"
        )
        assert _contact_rewrites() == before + 1
        # A second fact of the same event: no rewrite, no count.
        contact_services.history_record(contact=contact, event=crm_event, kind="attended", source="order:A2")
        contact_services.history_record(contact=contact, event=other, kind="attended", source="order:B1")
        assert _contact_rewrites() == before + 2
        contact.refresh_from_db()
        assert contact.events_attended == 2
        contact_services.history_remove(organizer=organizer, source="order:A1", kinds=["attended"])
        contact.refresh_from_db()
        assert contact.events_attended == 2
        contact_services.history_remove(organizer=organizer, source="order:A2", kinds=["attended"])
        contact.refresh_from_db()
        assert contact.events_attended == 1 and lists(contact)[1] == [other.pk]
    other.delete()
    contact.refresh_from_db()
    assert contact.events_attended == 0 and lists(contact)[1] == []
