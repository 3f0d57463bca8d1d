"""The main filter queries use the indexes made for them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import ProgrammingError, connection
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


@pytest.fixture
def codepoint_order() -> None:
    """The bound of a searched sort column needs a database that orders text by code point
    (``C.UTF-8``, as the admin guide creates it); a test database made from a cluster with a
    language's collation cannot show it."""
    if not selectors._codepoint_order():
        pytest.skip("the test database's collation does not order text by code point")


def _search_plan(organizer: Any, criteria: ContactCriteria) -> tuple[str, list[int], list[int]]:
    """The plan of the first page, its rows, and the rows of the plain query (GIN, then sort)."""
    with scope(organizer=organizer):
        queryset = contacts_matching(organizer=organizer, criteria=criteria)
        plan = queryset[:50].explain()
        rows = list(queryset.values_list("pk", flat=True)[:50])
        column = criteria.sort_by.lstrip("-")
        sign = "-" if criteria.sort_by.startswith("-") else ""
        plain = selectors.DatabaseContactQuery()._filtered(organizer=organizer, criteria=criteria)
        expected = list(plain.order_by(f"{sign}{column}", f"{sign}id").values_list("pk", flat=True)[:50])
    return plan, rows, expected


def _sorts(plan: str) -> bool:
    return "Sort" in plan.replace("Sort Key", "")


@pytest.mark.services
def test_a_rare_prefix_under_a_sort_sorts_its_gin_matches(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``first12`` (111 of 6,000 contacts): the walk of the sort order finds too few of them
    (here 1,000 contacts walked for 50 matches), so its GIN matches are collected and sorted.

    Walking the sort index instead tests every contact's vector until the page is full
    (``bench/contacts.py``: 237 ms for ``first123`` at a million).
    """
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 1000)
    plan, rows, expected = _search_plan(named, ContactCriteria(search="first12", sort_by="last_name"))
    assert "campaigns_contact_search_vector" in plan and "cmpgn_sort_last_name" not in plan, plan
    assert _sorts(plan), plan
    assert rows == expected and len(rows) == 50


@pytest.mark.services
def test_a_common_prefix_that_sorts_late_walks_the_sort_index_from_its_first_match(
    named: Any, codepoint_order: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``smith`` by last name: 3,000 matches, all after the 3,000 Joneses. Walking the sort
    index from its start would pass every Jones (at a million: 875,000 contacts, 2.3 s), and
    sorting the GIN matches reads every Smith (125,000, 218 to 709 ms). No word of ``smith``
    is outside the last names' beginnings (``search_rest``), so the page walks the sort index
    from the first Smith: the bound is in the index condition, the vector tested per row."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 1000)
    plan, rows, expected = _search_plan(named, ContactCriteria(search="smith", sort_by="last_name"))
    assert "cmpgn_sort_last_name" in plan and "campaigns_contact_search_vector" not in plan, plan
    assert "'Smith0'" in plan.split("Index Cond")[1] and not _sorts(plan), plan
    assert rows == expected and len(rows) == 50


@pytest.mark.services
def test_a_common_prefix_that_sorts_late_sorts_its_gin_matches_without_a_bound(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a database whose collation does not order by code point, the texts beginning with
    ``Smith`` are not one range of the index: no bound, and the bounded walk from the first
    contact finds no Smith in its 1,000 contacts, so the GIN matches are sorted."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 1000)
    monkeypatch.setattr(selectors, "_codepoint_order", lambda: False)
    plan, rows, expected = _search_plan(named, ContactCriteria(search="smith", sort_by="last_name"))
    assert "campaigns_contact_search_vector" in plan and "cmpgn_sort_last_name" not in plan, plan
    assert _sorts(plan), plan
    assert rows == expected and len(rows) == 50


@pytest.mark.services
def test_sparse_matches_within_the_bound_walk_the_sort_index(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``smith`` among the 150 Brazilian contacts, one Smith in 20 (at a million: ``silva``
    among Brazilians who consented, one in 40 of the Silvas): fewer than a page in the first
    1,000 contacts of the bound, but a page within a few thousand, where the GIN plan would
    first build the bitmap of every Smith. The page takes the walked form from the bound (here
    the planner reads the 150 through the country index, which a million would not allow)."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 1000)
    monkeypatch.setattr(selectors, "SEARCH_ROWS_TESTED", 100)
    with scope(organizer=named):
        ids = list(Contact.objects.filter(organizer=named).order_by("pk").values_list("pk", flat=True))
        Contact.objects.filter(pk__in=ids[::40]).update(country="BR")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eventyay_campaigns_contact")
    criteria = ContactCriteria(search="smith", country="BR", sort_by="last_name")
    with scope(organizer=named):
        sql = str(contacts_matching(organizer=named, criteria=criteria).query)
    assert "ts_match_vq" in sql and "COALESCE" not in sql and ">= Smith0" in sql, sql
    plan, rows, expected = _search_plan(named, criteria)
    assert "campaigns_contact_search_vector" not in plan, plan
    assert rows == expected and len(rows) == 50


@pytest.mark.services
def test_a_match_outside_the_sorted_column_moves_the_bound(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jones whose address holds ``smith`` sorts before every Smith: the bound starts at him,
    and he is the first row of the page."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 1000)
    with scope(organizer=named):
        jones = Contact.objects.filter(organizer=named, last_name="Jones5").order_by("pk").first()
        assert jones is not None
        jones.email = "ann.smith@example.org"
        jones.save()
        bound = selectors.DatabaseContactQuery()._search_bound(
            organizer=named,
            others=Contact.objects.filter(organizer=named),
            terms=["smith"],
            column="last_name",
        )
    assert bound == selectors.SortBound("last_name", "Jones5", "Smith98")
    plan, rows, expected = _search_plan(named, ContactCriteria(search="smith", sort_by="last_name"))
    assert rows == expected and rows[0] == jones.pk, plan


@pytest.mark.services
def test_a_search_without_matches_answers_without_a_plan(named: Any) -> None:
    with scope(organizer=named):
        criteria = ContactCriteria(search="zebra", sort_by="-last_name")
        assert list(contacts_matching(organizer=named, criteria=criteria)) == []
        assert contacts_size(organizer=named, criteria=criteria) == ContactCount(0, exact=True)


@pytest.mark.services
def test_a_prefix_too_rare_for_the_statistics_but_dense_walks_the_sort_index(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``first1``: 1,111 of 6,000 contacts (First1, First10 to First19, ...), every name too rare
    for the statistics (at a million: 111,000 matches estimated at 58, so the planner sorted
    all GIN matches, 94 to 135 ms). The walk finds 50 among its first contacts, so the page
    walks the sort index and tests each vector, as the plan shows."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 1000)
    criteria = ContactCriteria(search="first1", sort_by="last_name")
    plan, rows, expected = _search_plan(named, criteria)
    assert "cmpgn_sort_last_name" in plan and "campaigns_contact_search_vector" not in plan, plan
    assert not _sorts(plan), plan
    assert rows == expected and len(rows) == 50


@pytest.mark.services
def test_a_common_prefix_under_a_sort_walks_the_sort_index(named: Any) -> None:
    """``smith`` (half the contacts, spread over the first names): the sort index, no sort."""
    plan, rows, expected = _search_plan(named, ContactCriteria(search="smith", sort_by="-first_name"))
    assert "cmpgn_sort_first_name" in plan and not _sorts(plan), plan
    assert rows == expected and len(rows) == 50


@pytest.mark.services
def test_a_common_prefix_with_a_selective_filter_tests_the_filtered_contacts(named: Any) -> None:
    """``smith`` among the 75 contacts of one last name: no GIN bitmap of the 3,000 Smiths for
    the page nor for the size; the last-name index, each contact's vector tested."""
    with scope(organizer=named):
        Contact.objects.filter(organizer=named, last_name="Smith4").update(city="Smalltown")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eventyay_campaigns_contact")
    criteria = ContactCriteria(search="smith", city="smalltown", sort_by="-email")
    plan, rows, expected = _search_plan(named, criteria)
    assert "campaigns_contact_city" in plan and "campaigns_contact_search_vector" not in plan, plan
    assert rows == expected and len(rows) == 38
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with scope(organizer=named), connection.execute_wrapper(record):
        assert contacts_size(organizer=named, criteria=criteria) == ContactCount(38, exact=True)
    assert statements and not any('"search_vector" @@' in sql for sql in statements), statements


@pytest.mark.services
def test_the_walked_form_without_its_order_reads_the_gin_index(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recipients of a campaign, counts and ``IN`` subqueries drop the order of the list:
    the search is then the indexed test again, not a test of every contact."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 6000)
    monkeypatch.setattr(selectors, "SEARCH_WALK_FOUND", 1)
    with scope(organizer=named):
        queryset = contacts_matching(
            organizer=named, criteria=ContactCriteria(search="first12", sort_by="-email")
        )
        assert "ts_match_vq" in str(queryset.query)
        plan = queryset.order_by().explain()
        assert queryset.order_by().count() == 111
    assert "campaigns_contact_search_vector" in plan and "Seq Scan" not in plan, plan


@pytest.mark.services
def test_the_size_of_a_common_search_is_proven_without_the_gin_index(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the exact range, a search's size is proven by reading contacts until enough match
    (never the whole GIN bitmap, which a count over LIMIT builds whole), then estimated; a
    search that the walk cannot prove (too few in its reach) is counted, exact when small."""
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 1000)
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with scope(organizer=named), connection.execute_wrapper(record):
        common = contacts_size(organizer=named, criteria=ContactCriteria(search="smith"))
    assert not common.exact and common.value > 1000, common
    counted = [sql for sql in statements if "count(" in sql.lower()]
    assert counted and all("AS walk" in sql for sql in counted), counted
    with scope(organizer=named):
        assert contacts_size(organizer=named, criteria=ContactCriteria(search="first12")) == ContactCount(
            111, exact=True
        )
        monkeypatch.setattr(selectors, "SIZE_WALK_ROWS", 500)
        # The walk cannot find 1,001 matches in 500 contacts: counted, still above the range.
        unproven = contacts_size(organizer=named, criteria=ContactCriteria(search="smith"))
    assert not unproven.exact and unproven.value > 1000, unproven


@pytest.mark.services
def test_a_search_the_planner_underestimates_is_probed_before_it_is_counted(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``first1`` matches 1,111 of the 6,000 contacts, each through a name of its own, too rare
    for the statistics: at a million contacts the planner expects 58 of 111,000, and counting
    them builds the GIN bitmap of every match. The organizer's first contacts show them common,
    so the size is proven by reading contacts instead (every count a walk)."""
    criteria = ContactCriteria(search="first1")
    with scope(organizer=named):
        # Proven above the exact range, the size is shown above it, whatever the planner expects.
        assert contacts_size(organizer=named, criteria=criteria) == ContactCount(1001, exact=False)
    estimate = selectors._estimate

    def underestimated(queryset: Any) -> int:
        rows = estimate(queryset)
        return min(rows, 58) if "first1:*" in str(queryset.query) else rows

    monkeypatch.setattr(selectors, "_estimate", underestimated)
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with scope(organizer=named), connection.execute_wrapper(record):
        size = contacts_size(organizer=named, criteria=criteria)
    assert size == ContactCount(1001, exact=False), size
    counted = [sql for sql in statements if "count(" in sql.lower()]
    assert len(counted) == 2 and all("AS walk" in sql for sql in counted), counted


@pytest.mark.services
def test_the_rest_statistics_are_known_from_a_hundred_words(
    organizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With fewer than 100 common words in ``search_rest`` the planner's estimate of a prefix is
    a constant, which the bound does not trust; with a vocabulary, it does."""
    # Statistics from rows of this test (ANALYZE of an empty table would keep older ones).
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(organizer=organizer, email=f"bob{n}@example.org", first_name="Bob") for n in range(20)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eventyay_campaigns_contact")
    assert not selectors._rest_statistics_known()
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            # The domains' words begin no column: 150 words of ``search_rest`` beginning "ann".
            Contact(organizer=organizer, email=f"x{n}@ann{n % 150}.example", first_name="Ann")
            for n in range(3000)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eventyay_campaigns_contact")
    assert selectors._rest_statistics_known()
    # The first names begin with "ann" and the estimate of the addresses' words is trusted: over
    # the limit, no bound; under it, the 3,000 are read.
    query = selectors.DatabaseContactQuery()
    with scope(organizer=organizer):
        others = Contact.objects.filter(organizer=organizer)
        monkeypatch.setattr(selectors, "SEARCH_ROWS_TESTED", 10)
        assert (
            query._search_bound(organizer=organizer, others=others, terms=["ann"], column="first_name")
            is None
        )
        monkeypatch.setattr(selectors, "SEARCH_ROWS_TESTED", 5000)
        bound = query._search_bound(organizer=organizer, others=others, terms=["ann"], column="first_name")
        assert bound == selectors.SortBound("first_name", "Ann", "Ann")


@pytest.mark.services
def test_reads_that_stop_early_scan_from_the_first_page(named: Any) -> None:
    """The count over ``LIMIT`` and the proof of a size start a sequential scan at the table's
    first page, not where PostgreSQL's synchronised scans left the last one (whose pages may no
    longer be cached): each runs with ``synchronize_seqscans`` off in its transaction, and the
    setting is put back after it, also inside a transaction that encloses it."""
    statements: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with scope(organizer=named), connection.execute_wrapper(record):
        contacts_size(organizer=named, criteria=ContactCriteria(search="smith"))
        contacts_size(organizer=named, criteria=ContactCriteria(sort_by="-first_name"))
    reads = [n for n, (sql, _) in enumerate(statements) if "count(" in sql.lower() and "EXPLAIN" not in sql]
    assert len(reads) >= 2, statements
    for n in reads:
        sql, params = statements[n - 1]
        assert "set_config(" in sql and list(params)[-2:] == ["synchronize_seqscans", "off"], statements
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronize_seqscans")
        assert cursor.fetchone() == ("on",)


@pytest.mark.services
def test_an_error_inside_a_scan_from_the_first_page_is_the_error_raised() -> None:
    with (
        pytest.raises(ProgrammingError, match="no_such_table"),
        selectors._scans_from_the_first_page(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT * FROM no_such_table")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronize_seqscans")
        assert cursor.fetchone() == ("on",)


def test_a_size_proof_through_an_index_is_bounded_by_the_walk_alone() -> None:
    """At a million contacts, ``silva`` among the 25,000 Brazilians who consented (about 2,000
    expected): read through their index, the proof reads some 12,500 of them; read by scanning
    the table, it would pass 500,000 contacts, more than a count costs."""
    pays = selectors._proof_pays
    assert pays(2_000, candidates=25_000, contacts=1_000_000, sequential=False)
    assert not pays(2_000, candidates=25_000, contacts=1_000_000, sequential=True)
    # A search that one in ten of the US contacts matches: within reach either way.
    assert pays(10_000, candidates=100_000, contacts=1_000_000, sequential=True)
    # Too few matches in the walk's reach: counted, whatever the plan.
    assert not pays(500, candidates=25_000, contacts=1_000_000, sequential=False)


@pytest.mark.services
def test_a_size_among_consenting_contacts_of_a_country_is_proven_through_their_index(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``smith`` among the 300 Brazilians who consented (at a million: ``silva`` among 25,000 of
    them, 3,208 matches): the consent index gives those contacts alone, so the size is proven
    by reading them until enough match, where a count over LIMIT built the GIN bitmap of every
    Smith first (48 to 71 ms at a million; the proof, 8 ms)."""
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 100)
    # Scanning the table for them would not pay: only the index makes the proof worth it.
    monkeypatch.setattr(selectors, "SIZE_WALK_READS", 1_000)
    with scope(organizer=named):
        ids = list(Contact.objects.filter(organizer=named).order_by("pk").values_list("pk", flat=True))
        Contact.objects.filter(pk__in=ids[::10]).update(country="BR")
        Contact.objects.filter(pk__in=ids[::20]).update(marketing_consent=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eventyay_campaigns_contact")
    statements: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    criteria = ContactCriteria(search="smith", country="BR", marketing_consent=True)
    with scope(organizer=named), connection.execute_wrapper(record):
        size = contacts_size(organizer=named, criteria=criteria)
    assert not size.exact and size.value > 100, size
    counted = [(sql, params) for sql, params in statements if "count(" in sql.lower()]
    assert len(counted) == 1 and "AS walk" in counted[0][0], counted
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {counted[0][0]}", counted[0][1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "campaigns_contact_consent" in plan and "campaigns_contact_search_vector" not in plan, plan


@pytest.mark.services
def test_a_match_outside_the_sorted_column_moves_the_bound_only_when_the_filters_pass_it(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contacts that carry a term outside the sorted column are found through the indexes
    of the other columns and of ``search_rest`` alone, then tested with the other filters: a
    Jones whose address holds ``smith`` moves the bound of the Brazilians' search only when he
    is Brazilian himself."""
    with scope(organizer=named):
        ids = list(Contact.objects.filter(organizer=named).order_by("pk").values_list("pk", flat=True))
        Contact.objects.filter(pk__in=ids[::40]).update(country="BR")
        jones = Contact.objects.filter(organizer=named, last_name="Jones5", country="").order_by("pk").first()
        assert jones is not None
        jones.email = "ann.smith@example.org"
        jones.save()
        query = selectors.DatabaseContactQuery()

        def bound() -> selectors.SortBound | None:
            others = Contact.objects.filter(organizer=named, country="BR")
            return query._search_bound(organizer=named, others=others, terms=["smith"], column="last_name")

        # The ends of the last names' range are the organizer's; the Jones is left out.
        assert bound() == selectors.SortBound("last_name", "Smith0", "Smith98")
        jones.country = "BR"
        jones.save()
        assert bound() == selectors.SortBound("last_name", "Jones5", "Smith98")


@pytest.mark.services
def test_a_common_prefix_among_fewer_contacts_than_its_matches_tests_them_one_by_one(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``smith`` among the 400 contacts of a tag (at a million: ``tag3``, 6,790 contacts, against
    125,000 Smiths): more contacts than are always tested, but fewer than a quarter of the
    search's own matches, so the page and the size test each of them instead of building the
    GIN bitmap of every Smith (a count of 34 ms at a million; the test of each, 8 ms)."""
    monkeypatch.setattr(selectors, "SEARCH_ROWS_TESTED", 100)
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 200)
    with scope(organizer=named):
        tag = Tag.objects.create(organizer=named, name="press")
        tagged = list(Contact.objects.filter(organizer=named).order_by("pk")[::15])
        ContactTag.objects.bulk_create(ContactTag(contact=contact, tag=tag) for contact in tagged)
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('campaigns_contact_tag_ids'::regclass)")
        cursor.execute("ANALYZE eventyay_campaigns_contact")
    criteria = ContactCriteria(search="smith", tag="press", sort_by="last_name")
    plan, rows, expected = _search_plan(named, criteria)
    assert "campaigns_contact_search_vector" not in plan and _sorts(plan), plan
    assert rows == expected and len(rows) == 50
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    smiths = sum(1 for contact in tagged if contact.last_name.startswith("Smith"))
    with scope(organizer=named), connection.execute_wrapper(record):
        assert contacts_size(organizer=named, criteria=criteria) == ContactCount(smiths, exact=True)
    read = [sql for sql in statements if not sql.startswith("EXPLAIN")]
    assert read and not any('"search_vector" @@' in sql for sql in read), read


@pytest.mark.services
def test_a_walk_shorter_than_the_searchs_own_bitmap_walks_the_sort_index(
    named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``jones`` among 1,100 contacts of a country, 100 of them Joneses (at a million:
    ``miller`` among the 75,000 Japanese who did not consent, 9,500 Millers): the walk to a
    page is expected to read more contacts than there are matches, but fewer than the matches
    plus the GIN bitmap of every Jones (3,000 entries, a quarter of a test each), so the page
    walks the sort index (at a million: 20 ms against 55 for the sorted GIN matches)."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 300)
    monkeypatch.setattr(selectors, "SEARCH_WALK_FOUND", 10)
    with scope(organizer=named):
        ids = list(Contact.objects.filter(organizer=named).order_by("pk").values_list("pk", flat=True))
        # First{n} with an even n is a Smith, with an odd n a Jones.
        japanese = [pk for n, pk in enumerate(ids) if n % 6 == 0 or n % 60 == 1]
        Contact.objects.filter(pk__in=japanese).update(country="JP")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eventyay_campaigns_contact")
    criteria = ContactCriteria(search="jones", country="JP", sort_by="-first_name")
    with scope(organizer=named):
        sql = str(contacts_matching(organizer=named, criteria=criteria).query)
    assert "ts_match_vq" in sql and "COALESCE" not in sql, sql
    plan, rows, expected = _search_plan(named, criteria)
    assert "campaigns_contact_search_vector" not in plan, plan
    assert rows == expected and len(rows) == 50
