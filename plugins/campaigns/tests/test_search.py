"""Searching contacts by name, email and company: prefix words, all of them, any input.

On PostgreSQL the search reads the stored ``search_vector`` (kept by a trigger, migration
0010) through its GIN index; on SQLite it falls back to ``icontains``. The behaviour tests run
in both modes; the ones about the vector itself need PostgreSQL.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import Upper
from django_scopes import scope
from eventyay_campaigns import importing, selectors
from eventyay_campaigns.models import Contact
from eventyay_campaigns.selectors import SORT_FIELDS, ContactCriteria, contacts_matching, search_terms
from eventyay_campaigns.services import contacts as contact_services

from .conftest import fake_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_contact: Any) -> dict[str, Any]:
    return {
        "john": make_contact("jsmith@example.org", first_name="John", last_name="Smith", company="Acme"),
        "jane": make_contact("jane@example.org", first_name="Jane", last_name="Smithers", company="Globex"),
        "johnny": make_contact("johnny@example.org", first_name="Johnny", last_name="Walker"),
        "obrien": make_contact("liam@example.net", first_name="Liam", last_name="O'Brien"),
    }


def found(organizer: Any, text: str) -> list[str]:
    with scope(organizer=organizer):
        criteria = ContactCriteria(search=text, sort_by="email")
        return list(contacts_matching(organizer=organizer, criteria=criteria).values_list("email", flat=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smi", ["jane@example.org", "jsmith@example.org"]),
        ("SMITH", ["jane@example.org", "jsmith@example.org"]),
        ("john", ["johnny@example.org", "jsmith@example.org"]),
        ("glob", ["jane@example.org"]),
        ("jane@example.org", ["jane@example.org"]),
        ("example.net", ["liam@example.net"]),
    ],
)
def test_a_word_finds_names_email_and_company_by_prefix(
    organizer: Any, people: Any, text: str, expected: list[str]
) -> None:
    assert found(organizer, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("john smi", ["jsmith@example.org"]),
        ("smi john", ["jsmith@example.org"]),
        ("  john   smith  acme ", ["jsmith@example.org"]),
        ("john globex", []),
    ],
)
def test_every_word_must_match(organizer: Any, people: Any, text: str, expected: list[str]) -> None:
    assert found(organizer, text) == expected


@pytest.mark.parametrize(
    "text",
    ["\\", "a:b & c | !d", "((", "*:*", "<->", "!", "100%", "_", "ü", "'; DROP TABLE x; --"],
)
def test_query_syntax_in_the_search_is_plain_text(organizer: Any, people: Any, text: str) -> None:
    """Characters with a meaning in tsquery syntax never reach it as syntax: no error, no match."""
    assert found(organizer, text) == []


def test_a_quote_inside_a_name_is_found(organizer: Any, people: Any) -> None:
    assert found(organizer, "o'brien") == ["liam@example.net"]


@pytest.mark.services
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smith:*", ["jane@example.org", "jsmith@example.org"]),
        ("john & !smith", ["jsmith@example.org"]),
        ("(john | jane)", []),
    ],
)
def test_tsquery_operators_are_read_as_words(
    organizer: Any, people: Any, text: str, expected: list[str]
) -> None:
    assert found(organizer, text) == expected


def test_api_search_with_tsquery_syntax_answers_200(api_client: Any, people: Any) -> None:
    response = api_client.get("/api/v1/organizers/example/contacts/", {"search": "smi:* & (john | "})
    assert response.status_code == 200, response.content


def test_search_terms_are_runs_of_letters_and_digits() -> None:
    assert search_terms("John O'Brien-Smith first12 a_b ü &|!:*") == [
        "john",
        "o",
        "brien",
        "smith",
        "first12",
        "a",
        "b",
        "ü",
    ]
    assert search_terms("one two three four five six seven eight nine") == search_terms(
        "one two three four five six seven eight"
    )


# The vector itself: PostgreSQL only.


def vector(contact: Contact) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM eventyay_campaigns_contact WHERE id = %s", [contact.pk]
        )
        return cursor.fetchone()[0] or ""


@pytest.mark.services
def test_vector_follows_saves_through_the_services(organizer: Any, make_contact: Any) -> None:
    contact = make_contact("ann@example.org", first_name="Ann", last_name="Archer", company="TechCorp")
    assert "'archer'" in vector(contact) and "'techcorp'" in vector(contact)
    with scope(organizer=organizer):
        contact_services.contact_save(organizer=organizer, contact=contact, data={"last_name": "Baker"})
    assert "baker" in vector(contact) and "archer" not in vector(contact)
    assert found(organizer, "bak") == ["ann@example.org"] and found(organizer, "arch") == []


@pytest.mark.services
def test_vector_follows_bulk_writes(organizer: Any) -> None:
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            [
                Contact(organizer=organizer, email="a@example.org", first_name="Alpha"),
                Contact(organizer=organizer, email="b@example.org", first_name="Bravo"),
            ]
        )
        assert found(organizer, "alph") == ["a@example.org"]
        contacts = list(Contact.objects.filter(organizer=organizer).order_by("email"))
        for contact in contacts:
            contact.last_name = "Zulu"
        Contact.objects.bulk_update(contacts, ["last_name"])
        assert found(organizer, "zul") == ["a@example.org", "b@example.org"]
        Contact.objects.filter(email="b@example.org").update(company=Upper(F("first_name")))
        assert found(organizer, "bravo zulu") == ["b@example.org"]
        assert found(organizer, "bravo") == ["b@example.org"]
        Contact.objects.filter(email="b@example.org").update(first_name="Charlie", company="")
        assert found(organizer, "bravo") == [] and found(organizer, "charl") == ["b@example.org"]


@pytest.mark.services
def test_vector_survives_writes_of_other_columns(organizer: Any, make_contact: Any) -> None:
    """Counter updates leave the vector alone, and a written empty vector is recomputed."""
    contact = make_contact("ann@example.org", first_name="Ann")
    before = vector(contact)
    with scope(organizer=organizer):
        Contact.objects.filter(pk=contact.pk).update(events_attended=F("events_attended") + 1)
        assert vector(contact) == before
        Contact.objects.filter(pk=contact.pk).update(search_vector=None)
        assert vector(contact) == before


@pytest.mark.services
def test_vector_follows_orders_imports_merges_and_erasure(
    organizer: Any, crm_event: Any, make_contact: Any
) -> None:
    with scope(organizer=organizer):
        contact_services.order_record(
            event=crm_event,
            order=fake_order("A1", "buyer@example.org", ("guest@example.org", "Gina Guest", 1)),
            paid=True,
        )
        assert found(organizer, "gina gue") == ["guest@example.org"]
        result = importing.contacts_import(
            organizer=organizer,
            header=["email", "company"],
            rows=[["guest@example.org", "Initech"], ["new@example.org", "Initrode"]],
            mapping={0: "email", 1: "company"},
            dry_run=False,
        )
        assert result.written
        assert found(organizer, "init") == ["guest@example.org", "new@example.org"]
        duplicate = make_contact("gina.private@example.org", last_name="Guestwick", company="Hooli")
        target = Contact.objects.get(email_key="new@example.org")
        contact_services.contacts_merge(target=target, duplicate=duplicate)
        assert found(organizer, "guestw hoo") == []
        assert found(organizer, "guestw initr") == ["new@example.org"]
        contact_services.contact_erase(contact=Contact.objects.get(email_key="guest@example.org"))
        assert found(organizer, "gina") == [] and found(organizer, "initech") == []


@pytest.mark.services
def test_migration_backfills_existing_rows(organizer: Any, make_contact: Any) -> None:
    migration = import_module("eventyay_campaigns.migrations.0010_search_vector")
    contact = make_contact("ann@example.org", first_name="Ann", last_name="Archer")
    expected = vector(contact)
    with connection.cursor() as cursor:
        # A row from before the migration: no vector (the replica role skips the trigger).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE {migration.TABLE} SET search_vector = NULL")
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        assert vector(contact) == ""
        cursor.execute(f"UPDATE {migration.TABLE} AS c SET search_vector = {migration.document('c')}")
    assert vector(contact) == expected


@pytest.mark.services
@pytest.mark.parametrize("text", ["smi", "john smi"])
def test_search_reads_the_gin_index(organizer: Any, text: str) -> None:
    """The planner answers a search from the GIN index on the stored vector.

    The rows are written by plain SQL, as a data load would: the trigger fills their vectors.
    They wait in the index's pending list (``fastupdate``) until a vacuum, which the test does
    not wait for: it flushes the list, as autovacuum would.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO eventyay_campaigns_contact (
                organizer_id, email, first_name, last_name, phone, avatar, gender, job_title, company,
                city, state, country, locale, custom_fields, marketing_consent, consent_source,
                events_attended, events_registered, events_hosted, talks_given, created, updated,
                sms_consent, sms_consent_source)
            SELECT %s, 'p' || n || '@example.org', (ARRAY['John', 'Jane', 'Liam', 'Emma'])[1 + n %% 4],
                   (ARRAY['Smith', 'Miller', 'Jones', 'Garcia', 'Chen'])[1 + n %% 5] || n, '', '', '', '', '',
                   '', '', '', '', '{}', false, '', 0, 0, 0, 0, now(), now(), false, ''
            FROM generate_series(1, 5000) AS n
            """,
            [organizer.pk],
        )
        cursor.execute("SELECT gin_clean_pending_list('campaigns_contact_search_vector'::regclass)")
        cursor.execute("ANALYZE eventyay_campaigns_contact")
        cursor.execute("SET LOCAL enable_seqscan = off")
    with scope(organizer=organizer):
        queryset = contacts_matching(organizer=organizer, criteria=ContactCriteria(search=text))
        plan = queryset.order_by().explain()
        # Every fifth is a Smith, every fourth a John: "john smi" needs both.
        assert queryset.count() == (1000 if text == "smi" else 250)
    assert "campaigns_contact_search_vector" in plan and "Seq Scan" not in plan, plan


# A search under a sort: the same rows in the same order whichever plan form answers it.


@pytest.fixture
def crowd(organizer: Any) -> Any:
    """240 contacts with repeated names, companies and counters (ties broken by id)."""
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(
                organizer=organizer,
                email=f"p{(n * 37) % 240}@example.org",
                first_name=("Anna", "Smita", "Bob", "Smith")[n % 4],
                last_name=f"{('Smith', 'Jones', 'Adams')[n % 3]}{n % 7}",
                company=("Smithco", "Acme", "")[n % 3],
                city=f"City{n % 5}",
                country=("US", "DE")[n % 2],
                events_attended=n % 3,
            )
            for n in range(240)
        )
    return organizer


def _sorted_pages(organizer: Any, criteria: ContactCriteria) -> tuple[list[int], list[list[int]]]:
    with scope(organizer=organizer):
        queryset = contacts_matching(organizer=organizer, criteria=criteria)
        return list(queryset.values_list("pk", flat=True)), [
            list(queryset.values_list("pk", flat=True)[start : start + 7]) for start in (0, 7, 40)
        ]


#: The plan forms of a search under a sort on PostgreSQL, forced: (SEARCH_WALK_FOUND,
#: SEARCH_ROWS_TESTED). Walk the sort index; sort the contacts of the other filters, each
#: tested; sort the GIN matches.
FORMS = {"walk": (1, 5000), "tested": (10**9, 5000), "collect": (10**9, 0)}


@pytest.mark.parametrize("sort_by", [f"{sign}{column}" for column in SORT_FIELDS for sign in ("", "-")])
@pytest.mark.parametrize("form", FORMS)
def test_a_search_under_a_sort_gives_the_plain_order(
    crowd: Any, monkeypatch: pytest.MonkeyPatch, sort_by: str, form: str
) -> None:
    """Whichever plan form is chosen (forced here), the rows and their order are those of the
    plain query: every match of the filters, sorted by the column, ties by id."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_FOUND", FORMS[form][0])
    monkeypatch.setattr(selectors, "SEARCH_ROWS_TESTED", FORMS[form][1])
    criteria = ContactCriteria(search="smi", country="de", sort_by=sort_by)
    everything, pages = _sorted_pages(crowd, criteria)
    with scope(organizer=crowd):
        plain = selectors.DatabaseContactQuery()._filtered(organizer=crowd, criteria=criteria)
        descending = sort_by.startswith("-")
        column = sort_by.lstrip("-")
        sign = "-" if descending else ""
        ordering = [sort_by, f"{sign}id"] if column != "id" else [f"{sign}id"]
        expected = list(plain.order_by(*ordering).values_list("pk", flat=True))
    assert everything == expected and len(expected) > 40
    assert pages == [expected[0:7], expected[7:14], expected[40:47]]
    with scope(organizer=crowd):
        rows = list(contacts_matching(organizer=crowd, criteria=criteria))
    assert all(r.country == "DE" for r in rows)
    assert all(
        any(word.lower().startswith("smi") for word in f"{r.first_name} {r.last_name} {r.company}".split())
        for r in rows
    )


@pytest.mark.parametrize("form", FORMS)
def test_a_searched_and_sorted_list_still_filters_and_counts(
    crowd: Any, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """Whatever the plan form, the list serves as a filter of other queries, counts and
    sizes: the campaign recipients and the automations reuse it without its order."""
    monkeypatch.setattr(selectors, "SEARCH_WALK_FOUND", FORMS[form][0])
    monkeypatch.setattr(selectors, "SEARCH_ROWS_TESTED", FORMS[form][1])
    criteria = ContactCriteria(search="smith", city="city2", sort_by="-events_attended")
    with scope(organizer=crowd):
        queryset = contacts_matching(organizer=crowd, criteria=criteria)
        expected = set(queryset.values_list("pk", flat=True))
        assert len(expected) == queryset.count() == queryset.order_by().count() > 0
        assert (
            set(Contact.objects.filter(pk__in=queryset.order_by()).values_list("pk", flat=True)) == expected
        )
        one = next(iter(expected))
        assert queryset.filter(pk=one).exists()
        assert selectors.contacts_size(organizer=crowd, criteria=criteria) == selectors.ContactCount(
            len(expected), exact=True
        )


def test_an_unordered_set_skips_choosing_a_plan_and_keeps_every_match(
    crowd: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Campaign recipients and automation conditions ask for a set (``ordered=False``): the
    same contacts as the sorted list, without the bounded walk that picks a page's plan."""
    criteria = ContactCriteria(search="smith", city="city2", sort_by="last_name")
    with scope(organizer=crowd):
        expected = set(contacts_matching(organizer=crowd, criteria=criteria).values_list("pk", flat=True))

        def no_walk(*args: Any, **kwargs: Any) -> int:
            raise AssertionError("an unordered set chose a plan")

        monkeypatch.setattr(selectors, "_matching", no_walk)
        unordered = contacts_matching(organizer=crowd, criteria=criteria, ordered=False)
        assert not unordered.query.order_by and not unordered.ordered
        assert set(unordered.values_list("pk", flat=True)) == expected and expected


# The bound of the sort column (PostgreSQL, a collation by code point): every match lies within
# it, whatever case, punctuation or column carries the term.

#: Names as people type them: capitalised, upper and lower case, hyphens, apostrophes, a
#: capital inside, letters outside ASCII.
NAMES = (
    "Smith",
    "SMITH",
    "smith",
    "Smithers",
    "Blacksmith",
    "McSmith",
    "Smith-Jones",
    "Jones-Smith",
    "O'Smith",
    "Śmith",
    "Smíth",
    "Straße",
    "STRASSE",
    "Øster",
    "øster",
    "Adams",
    "",
    "Zed",
)


@pytest.fixture
def mixed(organizer: Any) -> Any:
    """270 contacts whose names, companies and addresses combine :data:`NAMES`."""
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(
                organizer=organizer,
                email=f"{NAMES[(n * 5) % len(NAMES)].lower() or 'x'}.{n}@{('example.org', 'smith.net')[n % 2]}",
                first_name=NAMES[(n * 7) % len(NAMES)],
                last_name=NAMES[n % len(NAMES)],
                company=NAMES[(n * 11) % len(NAMES)],
            )
            for n in range(270)
        )
    return organizer


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "no-bound"])
@pytest.mark.parametrize("sort_by", ["last_name", "-last_name", "first_name", "-email", "company"])
@pytest.mark.parametrize(
    "text", ["smith", "smi", "SMITH", "mcs", "jones", "ster", "strass", "straß", "śm", "o smith"]
)
def test_the_bound_keeps_every_match_in_order(
    mixed: Any, monkeypatch: pytest.MonkeyPatch, bound: bool, sort_by: str, text: str
) -> None:
    """Whether the bound is used or not, the page and later pages are those of the plain query."""
    if not bound:
        monkeypatch.setattr(selectors, "_codepoint_order", lambda: False)
    criteria = ContactCriteria(search=text, sort_by=sort_by)
    everything, pages = _sorted_pages(mixed, criteria)
    with scope(organizer=mixed):
        plain = selectors.DatabaseContactQuery()._filtered(organizer=mixed, criteria=criteria)
        sign = "-" if sort_by.startswith("-") else ""
        expected = list(plain.order_by(sort_by, f"{sign}id").values_list("pk", flat=True))
        size = selectors.contacts_size(organizer=mixed, criteria=criteria)
    assert everything == expected
    assert pages == [expected[0:7], expected[7:14], expected[40:47]]
    assert size == selectors.ContactCount(len(expected), exact=True)


@pytest.mark.services
def test_the_rest_holds_the_words_that_begin_no_searched_column(organizer: Any, make_contact: Any) -> None:
    """``search_rest`` (migration 0015) is the vector without the words that begin a searched
    column as written (lower, upper or capitalised), kept by the trigger through every write."""
    contact = make_contact(
        "ann.smith@example.org", first_name="Ann", last_name="McSmith", company="ACME Blacksmiths"
    )

    def rest() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_rest::text FROM eventyay_campaigns_contact WHERE id = %s", [contact.pk]
            )
            row = cursor.fetchone()
        return row[0] if row else ""

    # "ann" begins the address and the first name, "acme" the company in upper case;
    # "mcsmith" begins the last name in none of the three forms (the capital inside), and
    # "blacksmiths", "smith", "example" and "org" begin no column.
    assert rest() == "'blacksmiths' 'example' 'mcsmith' 'org' 'smith'"
    with scope(organizer=organizer):
        Contact.objects.filter(pk=contact.pk).update(company="Blacksmiths", last_name="Smith-Jones")
    # "smith" now begins the last name and "blacksmiths" the company; of the parser's words of
    # the hyphenated name, "smith-jones" begins it in none of the three forms, "jones" not at all.
    assert rest() == "'example' 'jones' 'org' 'smith-jones'"


def test_a_prefix_range_ends_before_the_next_prefix() -> None:
    assert selectors._prefix_bounds("Smith") == ("Smith", "Smiti")
    # After U+D7FF come the surrogates, which are no characters of a text.
    assert selectors._prefix_bounds("a\ud7ff") == ("a\ud7ff", "a\ue000")
    assert selectors._prefix_bounds("a\U0010ffff") is None
