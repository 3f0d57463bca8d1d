"""Contact import: rows applied in order, written in batches of a constant number of statements."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_campaigns import importing
from eventyay_campaigns.models import AutomationRun, Contact, CustomFieldDefinition, Tag
from eventyay_campaigns.services import automation

from eventyay.base.models import LogEntry

pytestmark = pytest.mark.django_db

HEADER = ["email", "first_name", "city", "tags", "size"]
MAPPING = {0: "email", 1: "first_name", 2: "city", 3: "tags", 4: "cf_size"}


@pytest.fixture(autouse=True)
def _after_commit_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's transaction never commits: run what waits for the commit right away."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def size_field(organizer: Any) -> CustomFieldDefinition:
    with scope(organizer=organizer):
        return CustomFieldDefinition.objects.create(
            organizer=organizer, key="size", label="Size", type="choice", choices=["S", "M", "L"]
        )


def _import(organizer: Any, rows: list[list[str]], *, dry_run: bool = False) -> importing.ImportResult:
    with scope(organizer=organizer):
        return importing.contacts_import(
            organizer=organizer, header=HEADER, rows=rows, mapping=MAPPING, dry_run=dry_run
        )


def _people(count: int, *, offset: int = 0) -> list[list[str]]:
    return [
        [f"person{n}@example.org", f"Person{n}", "Berlin", f"vip,Group{n % 3}", "M"]
        for n in range(offset, offset + count)
    ]


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """What each statement does (verb and table), a run of the same one counted once."""
    kinds: list[str] = []
    for query in captured.captured_queries:
        words = query["sql"].replace(" OR IGNORE", "").split()
        kind = " ".join(words[:3]) if words[0] in ("INSERT", "DELETE") else " ".join(words[:2])
        if words[0] in ("SAVEPOINT", "RELEASE"):
            kind = words[0]
        if words[0] == "SELECT":
            kind = "SELECT FROM " + words[words.index("FROM") + 1]
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
    return kinds


def _contact(organizer: Any, email: str) -> Contact:
    with scope(organizer=organizer):
        return Contact.objects.prefetch_related("tags").get(organizer=organizer, email_key=email)


def test_statements_per_batch_do_not_grow_with_the_rows(
    organizer: Any, make_contact: Any, size_field: Any
) -> None:
    ContentType.objects.get_for_model(Contact)
    for n in range(0, 400, 2):
        make_contact(f"person{n}@example.org", city="Paris")
    # Each file updates stored contacts (the even numbers), creates others and a tag.
    small = [[*row[:3], row[3] + ",small", row[4]] for row in _people(40, offset=300)]
    large = [[*row[:3], row[3] + ",large", row[4]] for row in _people(200) + _people(200, offset=1000)]
    with CaptureQueriesContext(connection) as few:
        assert _import(organizer, small).written
    with CaptureQueriesContext(connection) as many:
        result = _import(organizer, large)
    assert result.written and (result.created, result.updated) == (300, 100)
    assert _statements(many) == _statements(few)
    assert len(_statements(many)) <= 20
    if connection.vendor == "postgresql":
        # SQLite splits a bulk statement by its limit of parameters; PostgreSQL never does.
        assert len(many.captured_queries) == len(few.captured_queries)
    person = _contact(organizer, "person2@example.org")
    assert (person.city, person.custom_fields) == ("Berlin", {"size": "M"})
    assert {t.name for t in person.tags.all()} == {"vip", "Group2", "large"}


def test_every_batch_is_written_and_a_later_batch_updates_what_an_earlier_one_created(
    organizer: Any, monkeypatch: pytest.MonkeyPatch, size_field: Any
) -> None:
    monkeypatch.setattr(importing, "BATCH_ROWS", 2)
    rows = [
        ["ann@example.org", "Ann", "Berlin", "", ""],
        ["bob@example.org", "Bob", "", "", ""],
        ["ANN@example.org", "", "Hamburg", "vip", "L"],
        ["cid@example.org", "Cid", "", "", ""],
        ["ann@example.org", "Anne", "", "", ""],
    ]
    result = _import(organizer, rows)
    assert result.written and (result.created, result.updated) == (3, 2)
    ann = _contact(organizer, "ann@example.org")
    # Empty cells keep what an earlier row set; the last spelling of the address is kept.
    assert (ann.first_name, ann.city, ann.email, ann.custom_fields) == (
        "Anne",
        "Hamburg",
        "ann@example.org",
        {"size": "L"},
    )
    assert [t.name for t in ann.tags.all()] == ["vip"]
    assert ann.consent_source == "" and not ann.marketing_consent
    with scope(organizer=organizer):
        assert Contact.objects.count() == 3
        logged = LogEntry.objects.filter(organizer=organizer, action_type__startswith="campaigns.contact.")
        assert sorted(logged.values_list("action_type", flat=True)) == [
            # Ann, changed in the second and the third batch.
            *["campaigns.contact.changed"] * 2,
            *["campaigns.contact.created"] * 3,
        ]


def test_duplicate_rows_in_one_batch_are_one_contact(organizer: Any, size_field: Any) -> None:
    rows = [
        ["dup@example.org", "First", "Berlin", "a", ""],
        ["Dup@Example.org", "Second", "", "b,A", ""],
    ]
    result = _import(organizer, rows)
    assert (result.created, result.updated) == (1, 1)
    dup = _contact(organizer, "dup@example.org")
    assert (dup.first_name, dup.city, dup.email) == ("Second", "Berlin", "Dup@Example.org")
    # Tags replace, as the later row's cell says.
    assert sorted(t.name for t in dup.tags.all()) == ["A", "b"]
    with scope(organizer=organizer):
        assert Tag.objects.filter(organizer=organizer).count() == 2


def test_a_row_with_errors_is_reported_and_nothing_is_written(
    organizer: Any, make_contact: Any, monkeypatch: pytest.MonkeyPatch, size_field: Any
) -> None:
    monkeypatch.setattr(importing, "BATCH_ROWS", 2)
    make_contact("old@example.org", first_name="Old")
    rows = [
        ["old@example.org", "Changed", "", "", ""],
        ["new@example.org", "New", "", "", ""],
        ["old@example.org", "", "", "", "XL"],
        ["no-address", "", "", "", ""],
        ["", "Nobody", "", "", ""],
        ["late@example.org", "Late", "", "", ""],
    ]
    for dry_run in (True, False):
        result = _import(organizer, rows, dry_run=dry_run)
        assert not result.written
        assert [(e.row, e.field) for e in result.errors] == [
            (4, "custom_fields.size"),
            (5, "email"),
            (6, "email"),
        ]
        with scope(organizer=organizer):
            assert list(Contact.objects.values_list("email_key", "first_name")) == [
                ("old@example.org", "Old")
            ]
            assert not Tag.objects.exists()


def test_a_dry_run_counts_what_the_import_does(organizer: Any, make_contact: Any, size_field: Any) -> None:
    make_contact("person0@example.org")
    rows = _people(5)
    dry = _import(organizer, rows, dry_run=True)
    assert (dry.created, dry.updated, dry.written) == (4, 1, False)
    with scope(organizer=organizer):
        assert Contact.objects.count() == 1
    done = _import(organizer, rows)
    assert (done.created, done.updated, done.written) == (4, 1, True)


def test_an_address_added_meanwhile_fails_the_import_cleanly(
    organizer: Any, monkeypatch: pytest.MonkeyPatch, size_field: Any
) -> None:
    checked = importing._ImportBatch.apply

    def apply_then_race(batch: Any) -> None:
        checked(batch)
        Contact.objects.create(organizer=organizer, email="person1@example.org")

    monkeypatch.setattr(importing._ImportBatch, "apply", apply_then_race)
    result = _import(organizer, _people(3))
    assert not result.written
    assert [(e.row, e.field) for e in result.errors] == [(1, "email")]
    with scope(organizer=organizer):
        assert not Contact.objects.filter(email_key="person0@example.org").exists()


def test_imported_contacts_fire_automation_once_each(organizer: Any, size_field: Any) -> None:
    with scope(organizer=organizer):
        automation.rule_save(
            organizer=organizer,
            data={"name": "hello", "trigger": "contact_created", "conditions": {"city": "Berlin"}},
            actions=[{"kind": "add_tag", "tag": "welcomed"}],
        )
        automation.rule_save(
            organizer=organizer,
            data={"name": "vip", "trigger": "contact_tagged", "tag": "vip"},
            actions=[{"kind": "add_tag", "tag": "seen-vip"}],
        )
    rows = _people(6)
    rows[0][2] = "Paris"
    rows[1][3] = "other"
    assert _import(organizer, rows).written
    with scope(organizer=organizer):
        runs = AutomationRun.objects.filter(organizer=organizer)
        assert runs.filter(trigger="contact_created").count() == 5
        assert runs.filter(trigger="contact_tagged").count() == 5
    assert "welcomed" not in {t.name for t in _contact(organizer, "person0@example.org").tags.all()}
    assert {t.name for t in _contact(organizer, "person2@example.org").tags.all()} >= {"welcomed", "seen-vip"}
    # Importing the same rows again tags nobody anew and creates nobody.
    assert _import(organizer, rows).updated == 6
    with scope(organizer=organizer):
        assert AutomationRun.objects.filter(organizer=organizer).count() == 10
