"""The main filter queries use the indexes made for them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django_scopes import scope
from eventyay_campaigns import selectors
from eventyay_campaigns.models import Contact, ContactEvent, ContactTag, Tag
from eventyay_campaigns.selectors import (
    SORT_FIELDS,
    ContactCount,
    ContactCriteria,
    contacts_matching,
    contacts_size,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(organizer: Any, crm_event: Any, make_event: Any) -> Any:
    events = [crm_event, *(make_event(slug=f"past{n}") for n in range(5))]
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(
                organizer=organizer,
                email=f"person{n}@example.org",
                first_name=f"First{n}",
                last_name=f"Last{n}",
                company=f"Company{n % 50}",
                job_title=f"Title{n % 20}",
                city=f"City{n % 30}",
                state=f"State{n % 10}",
                country=("US", "DE", "FR", "GB", "IN", "BR", "JP", "NL", "ES", "IT")[n % 10],
                custom_fields={"tier": "gold" if n % 300 == 0 else "silver"},
                events_attended=4 if n % 40 == 1 else n % 3,
                events_hosted=2 if n % 40 == 0 else 0,
            )
            for n in range(3000)
        )
        contacts = list(Contact.objects.filter(organizer=organizer).order_by("id")[:300])
        Tag.objects.bulk_create(Tag(organizer=organizer, name=f"tag{n}") for n in range(500))
        tag = Tag.objects.create(organizer=organizer, name="vip")
        ContactTag.objects.bulk_create(ContactTag(contact=c, tag=tag) for c in contacts[:100])
        ContactEvent.objects.bulk_create(
            ContactEvent(
                organizer=organizer, contact=c, event=events[n % 6], kind="attended", source=f"order:{c.pk}"
            )
            for n, c in enumerate(contacts)
        )
    with connection.cursor() as cursor:
        # New entries of a GIN index wait in its pending list until a vacuum; flushed here as
        # autovacuum would, so the plans are those of a settled table.
        for index in (
            "campaigns_contact_search_vector",
            "campaigns_contact_custom",
            "campaigns_contact_tag_ids",
            "campaigns_contact_attended_ids",
        ):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        for table in ("contact", "tag", "contacttag", "contactevent"):
            cursor.execute(f"ANALYZE eventyay_campaigns_{table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return organizer


@pytest.mark.services
@pytest.mark.parametrize(
    ("criteria", "indexes"),
    [
        ({"company": "company7"}, ["campaigns_contact_company"]),
        ({"job_title": "title3"}, ["campaigns_contact_job_title"]),
        ({"city": "City4"}, ["campaigns_contact_city"]),
        ({"state": "state1"}, ["campaigns_contact_state"]),
        ({"country": "de"}, ["cmpgn_sort_country"]),
        ({"search": "first12"}, ["campaigns_contact_search_vector"]),
        ({"custom_fields": {"tier": "gold"}}, ["campaigns_contact_custom"]),
        ({"events_attended_min": 4}, ["cmpgn_sort_events_attended"]),
        ({"events_hosted_min": 2}, ["cmpgn_sort_events_hosted"]),
        ({"tag": "vip"}, ["campaigns_contact_tag_ids"]),
        ({"attended_event": "EVENT"}, ["campaigns_contact_attended_ids"]),
    ],
)
def test_filters_use_their_index(
    seeded: Any, crm_event: Any, criteria: dict[str, Any], indexes: list[str]
) -> None:
    if criteria.get("attended_event") == "EVENT":
        criteria = {**criteria, "attended_event": crm_event}
    with scope(organizer=seeded):
        plan = contacts_matching(organizer=seeded, criteria=ContactCriteria(**criteria)).order_by().explain()
    assert "Seq Scan" not in plan, plan
    for index in indexes:
        assert index in plan, plan


@pytest.mark.services
@pytest.mark.parametrize("sort_by", [f"{sign}{column}" for column in SORT_FIELDS for sign in ("", "-")])
def test_sorted_pages_walk_an_index(seeded: Any, sort_by: str) -> None:
    """Every sort, either direction, reads its index in order (ties by id) and sorts nothing."""
    column = sort_by.lstrip("-")
    with scope(organizer=seeded):
        plan = contacts_matching(organizer=seeded, criteria=ContactCriteria(sort_by=sort_by))[:20].explain()
    # By id, the primary key serves as well when (as here) one organizer holds every row.
    indexes = [f"cmpgn_sort_{column}"] + (["eventyay_campaigns_contact_pkey"] if column == "id" else [])
    assert "Seq Scan" not in plan and any(index in plan for index in indexes), plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan


@pytest.mark.services
def test_weak_filter_with_sort_stops_after_the_page(seeded: Any) -> None:
    """A filter most contacts pass walks the sort index and filters, instead of sorting all."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = on")
    criteria = ContactCriteria(events_attended_max=3, sort_by="-updated")
    with scope(organizer=seeded):
        plan = contacts_matching(organizer=seeded, criteria=criteria)[:50].explain()
    assert "cmpgn_sort_updated" in plan and "Sort" not in plan.replace("Sort Key", ""), plan


@pytest.mark.services
def test_large_sizes_are_estimated(seeded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 1000)
    with scope(organizer=seeded):
        everyone = contacts_size(organizer=seeded, criteria=ContactCriteria())
        few = contacts_size(organizer=seeded, criteria=ContactCriteria(company="company7"))
    # 3,000 contacts: above the (lowered) exact range, so the planner's estimate, never below it.
    assert not everyone.exact and 1000 < everyone.value <= 6000, everyone
    assert few == ContactCount(60, exact=True)


@pytest.mark.services
def test_tag_and_attended_event_combine_their_lists_indexes(seeded: Any, crm_event: Any) -> None:
    """Two weak membership filters: one bitmap AND of the lists' GIN indexes, no membership table."""
    criteria = ContactCriteria(tag="VIP", attended_event=crm_event, sort_by="-events_attended")
    with scope(organizer=seeded):
        queryset = contacts_matching(organizer=seeded, criteria=criteria)
        plan = queryset[:50].explain()
        assert queryset.count() == 17
    assert "BitmapAnd" in plan, plan
    assert "campaigns_contact_tag_ids" in plan and "campaigns_contact_attended_ids" in plan, plan
    assert "eventyay_campaigns_contacttag" not in plan and "eventyay_campaigns_contactevent" not in plan, plan


@pytest.fixture
def named(organizer: Any) -> Any:
    """6,000 contacts: unique first names, last names of 80 Smiths and 80 Joneses of 37 each."""
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(
                organizer=organizer,
                email=f"person{n}@example.org",
                first_name=f"First{n}",
                last_name=f"{'Jones' if n % 2 else 'Smith'}{n % 160}",
            )
            for n in range(6000)
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('campaigns_contact_search_vector'::regclass)")
        cursor.execute("ANALYZE eventyay_campaigns_contact")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return organizer


@pytest.mark.services
def test_a_rare_prefix_under_a_sort_sorts_its_gin_matches(named: Any) -> None:
    """``first12`` (111 contacts, no lexeme frequent enough for the statistics): GIN, then sort.

    With the default statistics its estimate is 2 % of the table and the planner walks the
    sort index testing every row's vector (``bench/contacts.py``: 237 ms at a million).
    """
    criteria = ContactCriteria(search="first12", sort_by="last_name")
    with scope(organizer=named):
        queryset = contacts_matching(organizer=named, criteria=criteria)
        plan = queryset[:50].explain()
        assert queryset.count() == 111
    assert "campaigns_contact_search_vector" in plan and "cmpgn_sort_last_name" not in plan, plan


@pytest.mark.services
def test_a_common_prefix_under_a_sort_walks_the_sort_index(named: Any) -> None:
    """``smith`` (half the contacts, 80 lexemes in the statistics): the sort index, no sort."""
    criteria = ContactCriteria(search="smith", sort_by="-first_name")
    with scope(organizer=named):
        plan = contacts_matching(organizer=named, criteria=criteria)[:50].explain()
    assert "cmpgn_sort_first_name" in plan and "Sort" not in plan.replace("Sort Key", ""), plan
