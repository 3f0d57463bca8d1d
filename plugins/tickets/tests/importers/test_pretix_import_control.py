"""The control panel's pretix import: form errors, the job with its report, the token, tenancy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django_scopes import scope, scopes_disabled
from eventyay_tickets.importers.jobs import pretix_job_create
from eventyay_tickets.importers.pretix import PretixSource

from eventyay.base.models import Job
from eventyay.base.services.jobs import job_run
from eventyay.testing.source_server import FakeSource, fake_source

from .test_pretix_import import FIXTURES, TOKEN, table_sizes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pretix(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSource]:
    monkeypatch.setattr("eventyay.base.services.source_api.time.sleep", lambda seconds: None)
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True), fake_source(FIXTURES, token=TOKEN) as source:
        yield source


@pytest.fixture
def target(make_event: Any) -> Any:
    return make_event(slug="target", plugins=["tickets"])


def page_url(event: Any, suffix: str = "") -> str:
    return f"/control/event/{event.organizer.slug}/{event.slug}/tickets/import/pretix/{suffix}"


def form(pretix: FakeSource, **changes: str) -> dict[str, str]:
    return {"url": pretix.url("/"), "token": TOKEN, "source_event": "demo/conf", **changes}


def test_the_page_shows_the_form_without_any_token(client_for: Any, user: Any, target: Any) -> None:
    response = client_for(user).get(page_url(target))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="token"' in body and 'type="password"' in body
    assert "Import from pretix" in body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"token": "wrong"}, "token", "did not accept this token"),
        ({"source_event": "demo/nope"}, "source_event", "knows no such event"),
        ({"source_event": "democonf"}, "source_event", "organizer/event"),
        ({"url": "ftp://pretix.example"}, "url", "https://"),
    ],
)
def test_bad_input_is_a_form_error_and_starts_no_job(
    client_for: Any,
    user: Any,
    target: Any,
    pretix: FakeSource,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client_for(user).post(page_url(target), form(pretix, **changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    with scopes_disabled():
        assert not Job.objects.exists()


def test_an_event_the_token_cannot_see_is_an_error_of_the_event_field(
    client_for: Any, user: Any, target: Any, pretix: FakeSource
) -> None:
    # pretix 2026.8.0 answers 403 for an event that does not exist or that the token may not read.
    pretix.fail("/api/v1/organizers/demo/events/conf/", 403)
    response = client_for(user).post(page_url(target), form(pretix))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "knows no such event" in " ".join(errors["source_event"]) and "token" not in errors


def test_a_dry_run_job_reports_and_saves_nothing(
    client_for: Any,
    user: Any,
    target: Any,
    pretix: FakeSource,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(user)
    before = table_sizes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(target), {**form(pretix), "dry_run": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        job = Job.objects.get()
    assert job.state == "done" and "token" not in job.options
    page = client.get(response.url)
    body = page.content.decode()
    assert "Nothing was saved" in body and "TST9Y" in body and TOKEN not in body
    after = table_sizes()
    # Only the job row (and its result file) exist now.
    assert after.pop("eventyay_base.Job") == before.pop("eventyay_base.Job") + 1
    assert after == before


def test_the_import_job_imports_into_the_event(
    client_for: Any, user: Any, target: Any, pretix: FakeSource, django_capture_on_commit_callbacks: Any
) -> None:
    from eventyay_tickets.models import Order

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(page_url(target), {**form(pretix), "import": "1"})
    page = client_for(user).get(response.url)
    assert "The import is finished." in page.content.decode()
    with scope(organizer=target.organizer):
        assert Order.objects.filter(event=target).count() == 4


def test_the_token_is_encrypted_while_the_job_waits_and_deleted_when_it_ends(
    user: Any, target: Any, pretix: FakeSource
) -> None:
    source = PretixSource(url=pretix.url("/"), token=TOKEN, organizer="demo", event="conf")
    with scope(organizer=target.organizer):
        job = pretix_job_create(event=target, user=user, source=source, dry_run=True)
    with scopes_disabled():
        stored = Job.objects.get(pk=job.pk).options
    assert TOKEN not in json.dumps(stored) and stored["token"].startswith("enc1:")
    finished = job_run(job_id=job.pk)
    assert finished is not None and finished.state == "done"
    assert "token" not in finished.options


def test_a_failing_job_deletes_the_token_too(user: Any, target: Any, pretix: FakeSource) -> None:
    pretix.fail("/api/v1/organizers/demo/events/conf/", 401)
    source = PretixSource(url=pretix.url("/"), token=TOKEN, organizer="demo", event="conf")
    with scope(organizer=target.organizer):
        job = pretix_job_create(event=target, user=user, source=source, dry_run=False)
    finished = job_run(job_id=job.pk)
    assert finished is not None and finished.state == "failed"
    assert "token" in finished.error and "token" not in finished.options


def test_another_organizers_member_gets_404(
    client_for: Any, user: Any, other_organizer: Any, target: Any, pretix: FakeSource
) -> None:
    source = PretixSource(url=pretix.url("/"), token=TOKEN, organizer="demo", event="conf")
    with scope(organizer=target.organizer):
        job = pretix_job_create(event=target, user=user, source=source, dry_run=True)
    outsider = client_for(other_organizer.member)
    assert outsider.get(page_url(target)).status_code == 404
    assert outsider.post(page_url(target), form(pretix)).status_code == 404
    assert outsider.get(page_url(target, f"{job.pk}/")).status_code == 404
