from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_campaigns.models import Contact, ContactEvent, CustomFieldDefinition, Segment
from eventyay_campaigns.services import contacts as contact_services

from eventyay.base.models import Job, User

pytestmark = pytest.mark.django_db

BASE = "/control/organizer/example/contacts/"


@pytest.fixture
def client(client_for: Any, user: Any) -> Any:
    return client_for(user)


@pytest.fixture
def ann(organizer: Any, crm_event: Any, make_contact: Any) -> Any:
    contact = make_contact(
        "ann@example.org", first_name="Ann", company="TechCorp", city="Berlin", tags=["vip"]
    )
    with scope(organizer=organizer):
        contact_services.history_record(contact=contact, event=crm_event, kind="attended", source="order:A")
    return contact


def test_list_filters_sorts_and_pages(client: Any, ann: Any, make_contact: Any) -> None:
    make_contact("bob@example.org", first_name="Bob", company="Other")
    page = client.get(BASE).content.decode()
    assert "ann@example.org" in page and "bob@example.org" in page
    page = client.get(BASE + "?company=techcorp").content.decode()
    assert "ann@example.org" in page and "bob@example.org" not in page
    page = client.get(BASE + "?sort_by=-email").content.decode()
    assert page.index("bob@example.org") < page.index("ann@example.org")
    bad = client.get(BASE + "?events_attended_min=x")
    assert bad.status_code == 200 and "Enter a whole number" in bad.content.decode()


def test_list_query_count_is_constant(client: Any, ann: Any, make_contact: Any) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BASE).status_code == 200
        return len(queries)

    count()
    before = count()
    for n in range(5):
        make_contact(f"p{n}@example.org", tags=[f"t{n}"])
    assert count() == before


def test_detail_shows_history(client: Any, ann: Any) -> None:
    page = client.get(f"{BASE}{ann.pk}/").content.decode()
    assert "Conference crmconf" in page and "order:A" in page and "vip" in page


def test_create_edit_delete(client: Any, organizer: Any, ann: Any) -> None:
    response = client.post(BASE + "add/", {"email": "ANN@example.org"})
    assert response.status_code == 200 and "exists already" in response.content.decode()
    response = client.post(
        BASE + "add/",
        {
            "email": "new@example.org",
            "first_name": "New",
            "tags": "a, b",
            "marketing_consent": "on",
            "sms_consent": "on",
            "avatar": "cdn.example.org/new.png",
        },
    )
    assert response.status_code == 302
    with scope(organizer=organizer):
        new = Contact.objects.get(email_key="new@example.org")
        # An address typed without a scheme is read as https (Django 6's default).
        assert new.avatar == "https://cdn.example.org/new.png"
        assert sorted(new.tags.values_list("name", flat=True)) == ["a", "b"]
        assert new.consent_source == "control" and new.consent_at is not None
        assert new.sms_consent and new.sms_consent_source == "control" and new.sms_consent_at is not None
    edit = client.get(f"{BASE}{new.pk}/edit/").content.decode()
    assert re.search(r'<input type="checkbox" name="sms_consent"[^>]* checked', edit)
    response = client.post(
        f"{BASE}{new.pk}/edit/", {"email": "new@example.org", "city": "Paris", "tags": "a"}
    )
    assert response.status_code == 302
    with scope(organizer=organizer):
        new.refresh_from_db()
        assert new.city == "Paris" and list(new.tags.values_list("name", flat=True)) == ["a"]
    assert client.post(f"{BASE}{new.pk}/delete/").status_code == 302
    with scope(organizer=organizer):
        assert not Contact.objects.filter(pk=new.pk).exists()


def test_export_erase_and_merge(client: Any, organizer: Any, ann: Any, make_contact: Any) -> None:
    data = json.loads(client.get(f"{BASE}{ann.pk}/export/").content)
    assert data["email"] == "ann@example.org" and data["history"][0]["kind"] == "attended"
    duplicate = make_contact("ann.private@example.org", phone="123")
    missing = client.post(f"{BASE}{ann.pk}/", {"duplicate": "nobody@example.org"})
    assert "No other contact" in missing.content.decode()
    assert client.post(f"{BASE}{ann.pk}/", {"duplicate": "Ann.Private@example.org"}).status_code == 302
    with scope(organizer=organizer):
        ann.refresh_from_db()
        assert ann.phone == "123" and not Contact.objects.filter(pk=duplicate.pk).exists()
    assert client.post(f"{BASE}{ann.pk}/erase/").status_code == 302
    with scope(organizer=organizer):
        ann.refresh_from_db()
        assert ann.first_name == "" and ann.email.endswith("@erased.invalid") and ann.events_attended == 1


def test_segment_live_size(client: Any, organizer: Any, ann: Any, make_contact: Any) -> None:
    make_contact("bob@example.org", city="Hamburg")
    htmx = client.post(
        BASE + "segments/add/", {"name": "B", "city": "berlin"}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 200 and "1 contact matches" in htmx.content.decode()
    assert "<html" not in htmx.content.decode()
    without_js = client.post(BASE + "segments/add/", {"name": "B", "city": "", "count": "1"})
    assert "2 contacts match" in without_js.content.decode()
    with scope(organizer=organizer):
        assert not Segment.objects.exists()
    invalid = client.post(BASE + "segments/add/", {"name": "B", "events_attended_min": "x", "save": "1"})
    assert invalid.status_code == 200 and "Correct the filters" in invalid.content.decode()
    assert (
        client.post(BASE + "segments/add/", {"name": "Berlin", "city": "Berlin", "save": "1"}).status_code
        == 302
    )
    with scope(organizer=organizer):
        segment = Segment.objects.get()
    assert segment.filters == {"city": "Berlin"}
    assert "1 contact matches" in client.get(f"{BASE}segments/{segment.pk}/").content.decode()
    assert client.post(f"{BASE}segments/{segment.pk}/delete/").status_code == 302


def test_custom_fields_page(client: Any, organizer: Any) -> None:
    assert (
        "needs choices"
        in client.post(BASE + "fields/", {"key": "size", "label": "Size", "type": "choice"}).content.decode()
    )
    assert (
        client.post(
            BASE + "fields/", {"key": "size", "label": "Size", "type": "choice", "choices": "S, M"}
        ).status_code
        == 302
    )
    with scope(organizer=organizer):
        field = CustomFieldDefinition.objects.get()
    assert field.choices == ["S", "M"]
    assert client.post(f"{BASE}fields/{field.pk}/delete/").status_code == 302


CSV = "Email;Vorname;Firma;Tags;Size\nann@example.org;Ann;TechCorp;vip,speaker;M\nnot-an-email;X;;;\nbob@example.org;Bob;;;XL\n"


def _import(client: Any, capture: Any, data: dict[str, str]) -> str:
    """Start a dry run or an import, which redirects to its job page, and read that page."""
    with capture(execute=True):
        response = client.post(BASE + "import/columns/", data)
    assert response.status_code == 302 and "/contacts/import/jobs/" in response.url, response
    page = client.get(response.url)
    assert page.status_code == 200
    return str(page.content.decode())


def test_import_dry_run_reports_errors_and_writes_nothing(
    client: Any, organizer: Any, make_contact: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with scope(organizer=organizer):
        CustomFieldDefinition.objects.create(
            organizer=organizer, key="size", label="Size", type="choice", choices=["S", "M"]
        )
    upload = SimpleUploadedFile("people.csv", CSV.encode())
    assert client.post(BASE + "import/", {"file": upload}).status_code == 302
    page = client.get(BASE + "import/columns/").content.decode()
    assert "Vorname" in page and "3 rows" in page
    mapping = {
        "column_0": "email",
        "column_1": "first_name",
        "column_2": "company",
        "column_3": "tags",
        "column_4": "cf_size",
    }
    for button in ("dry_run", "import"):
        page = _import(client, django_capture_on_commit_callbacks, {**mapping, button: "1"})
        assert "2 problems found" in page
        assert "<td>3</td><td>email</td>" in page and "<td>4</td><td>custom_fields.size</td>" in page
        with scope(organizer=organizer):
            assert not Contact.objects.exists()
    # The way back to the columns keeps the mapping the job used.
    with scope(organizer=organizer):
        job = Job.objects.filter(kind="campaigns.import").order_by("-created").first()
    assert job is not None and job.state == "done" and job.progress == 100
    back = client.get(f"{BASE}import/columns/?job={job.pk}").content.decode()
    assert '<option value="cf_size" selected>' in back


def test_import_xlsx(
    client: Any, organizer: Any, make_contact: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from openpyxl import Workbook

    existing = make_contact("ann@example.org", first_name="Ann", city="Berlin")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["E-Mail", "Company", "Consent", "SMS"])
    sheet.append(["ANN@example.org", "TechCorp", "yes", "no"])
    sheet.append(["new@example.org", "Other", "", "X"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.post(BASE + "import/", {"file": SimpleUploadedFile("people.xlsx", buffer.getvalue())})
    assert '<option value="sms_consent"' in client.get(BASE + "import/columns/").content.decode()
    mapping = {
        "column_0": "email",
        "column_1": "company",
        "column_2": "marketing_consent",
        "column_3": "sms_consent",
    }
    dry = _import(client, django_capture_on_commit_callbacks, {**mapping, "dry_run": "1"})
    assert "1 contacts would be created and 1 updated" in dry
    with scope(organizer=organizer):
        assert not Contact.objects.filter(email_key="new@example.org").exists()
    done = _import(client, django_capture_on_commit_callbacks, {**mapping, "import": "1"})
    assert "1 contacts created, 1 updated" in done
    with scope(organizer=organizer):
        existing.refresh_from_db()
        assert (existing.company, existing.city, existing.marketing_consent) == ("TechCorp", "Berlin", True)
        assert existing.consent_source == "import" and not existing.sms_consent
        new = Contact.objects.get(email_key="new@example.org")
        assert new.sms_consent and new.sms_consent_source == "import" and not new.marketing_consent
    # The file is gone with the import.
    assert client.get(BASE + "import/columns/").status_code == 302


def test_import_job_page_polls_while_it_runs_and_is_the_requesters_only(
    client: Any, client_for: Any, organizer: Any, other_organizer: Any, user: Any
) -> None:
    with scope(organizer=organizer):
        job = Job.objects.create(
            kind="campaigns.import",
            organizer=organizer,
            identifier="contacts",
            options={"file": "x", "mapping": {}, "dry_run": True},
            user=user,
            state="running",
            progress=40,
        )
    url = f"{BASE}import/jobs/{job.pk}/"
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in partial and 'aria-valuenow="40"' in partial and "<html" not in partial
    assert "Running: 40 % done." in client.get(url).content.decode()
    colleague = User.objects.create_user("colleague@example.org", "correct horse battery")
    with scope(organizer=organizer):
        organizer.teams.get().members.add(colleague)
    assert client_for(colleague).get(url).status_code == 404
    assert client_for(other_organizer.member).get(url).status_code == 404
    assert (
        client_for(other_organizer.member)
        .get(f"/control/organizer/other/contacts/import/jobs/{job.pk}/")
        .status_code
        == 404
    )


def test_hosts_backfill_button(client: Any, organizer: Any, crm_event: Any, user: Any) -> None:
    assert client.post(BASE + "hosts/").status_code == 302
    with scope(organizer=organizer):
        assert ContactEvent.objects.filter(kind="hosted", contact__email_key=user.email).count() == 1


def _pages(contact: Any) -> list[tuple[str, str]]:
    return [
        ("get", BASE),
        ("get", BASE + "add/"),
        ("get", BASE + "import/"),
        ("get", BASE + "import/columns/"),
        ("post", BASE + "hosts/"),
        ("get", BASE + "fields/"),
        ("get", BASE + "segments/"),
        ("get", BASE + "segments/add/"),
        ("get", f"{BASE}{contact.pk}/"),
        ("get", f"{BASE}{contact.pk}/edit/"),
        ("get", f"{BASE}{contact.pk}/delete/"),
        ("get", f"{BASE}{contact.pk}/erase/"),
        ("get", f"{BASE}{contact.pk}/export/"),
    ]


def test_other_organizers_member_gets_404_everywhere(client_for: Any, other_organizer: Any, ann: Any) -> None:
    client = client_for(other_organizer.member)
    for method, url in _pages(ann):
        assert getattr(client, method)(url).status_code == 404, url
    # The other organizer's own list does not show our contacts.
    assert "ann@example.org" not in client.get("/control/organizer/other/contacts/").content.decode()


def test_reader_may_read_but_not_write(client_for: Any, organizer: Any, ann: Any) -> None:
    reader = User.objects.create_user("reader@example.org", "correct horse battery")
    with scope(organizer=organizer):
        team = organizer.teams.create(name="Readers", permissions=["organizer.contacts:read"])
        team.members.add(reader)
    client = client_for(reader)
    assert client.get(BASE).status_code == 200
    assert client.get(f"{BASE}{ann.pk}/").status_code == 200
    assert client.post(f"{BASE}{ann.pk}/", {"duplicate": "x@example.org"}).status_code == 403
    for method, url in _pages(ann):
        if url not in (BASE, f"{BASE}{ann.pk}/", BASE + "fields/", BASE + "segments/"):
            assert getattr(client, method)(url).status_code == 403, url


def test_navigation_entry(client: Any, client_for: Any, organizer: Any) -> None:
    page = client.get("/control/organizer/example/").content.decode()
    assert BASE in page
