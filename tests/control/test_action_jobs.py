"""Long actions of the control panel run as jobs: the job page shows progress, then the outcome."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, Job

EVENT = "/control/event/example/conf/"
CLONE = {"name_0": "Conference again", "slug": "conf-2", "date_from": "2031-06-01T09:00"}


def job_of(response) -> Job:
    with scopes_disabled():
        return Job.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


@pytest.mark.django_db
def test_clone_runs_as_a_job_and_links_the_new_event(
    client_for, user, organizer, event, django_capture_on_commit_callbacks
):
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EVENT + "clone/", CLONE)
    job = job_of(response)
    assert response["Location"] == f"{EVENT}jobs/{job.pk}/"
    assert job.state == Job.State.DONE and job.progress == 100
    page = client.get(response["Location"]).content.decode()
    assert "The event has been copied." in page
    assert 'href="/control/event/example/conf-2/"' in page
    assert 'http-equiv="refresh"' not in page
    with scope(organizer=organizer):
        clone = Event.objects.get(slug="conf-2")
    assert str(clone.name) == "Conference again" and clone.date_from.isoformat().startswith("2031-06-01")


@pytest.mark.django_db
def test_a_waiting_clone_shows_progress_and_refreshes_without_javascript(client_for, user, event):
    client = client_for(user)
    # Without running the commit callbacks the job stays queued, as when the workers are busy.
    response = client.post(EVENT + "clone/", CLONE)
    page = client.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert f'hx-get="{response["Location"]}"' in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert '<div id="action-job" hx-get=' in partial
    assert "<html" not in partial


@pytest.mark.django_db
def test_a_taken_short_form_is_a_form_error_and_queues_nothing(client_for, user, event, make_event):
    make_event(slug="conf-2")
    response = client_for(user).post(EVENT + "clone/", CLONE)
    assert response.status_code == 200
    assert "already used by another event" in response.content.decode()
    with scopes_disabled():
        assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_clone_that_fails_in_the_job_says_why(
    client_for, user, organizer, event, make_event, django_capture_on_commit_callbacks
):
    client = client_for(user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(EVENT + "clone/", CLONE)
    # Someone takes the short form between the form check and the job.
    make_event(slug="conf-2")
    for callback in callbacks:
        callback()
    assert job_of(response).state == Job.State.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "nothing was changed" in page and "already used by another event" in page


@pytest.mark.django_db
def test_another_organizers_member_sees_neither_the_form_nor_the_job(
    client_for, user, event, other_organizer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(EVENT + "clone/", CLONE)
    outsider = client_for(other_organizer.member)
    assert outsider.get(response["Location"]).status_code == 404
    assert outsider.post(EVENT + "clone/", {**CLONE, "slug": "conf-3"}).status_code == 404
    # Their own event's job URL with this job's id finds nothing either.
    job = job_of(response)
    assert outsider.get(f"/control/event/other/otherconf/jobs/{job.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_colleague_does_not_see_someone_elses_job(
    client_for, user, organizer, admin_team, event, django_capture_on_commit_callbacks
):
    from eventyay.base.models import User

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(EVENT + "clone/", CLONE)
    colleague = User.objects.create_user("colleague@example.org", "correct horse battery")
    admin_team.members.add(colleague)
    assert client_for(colleague).get(response["Location"]).status_code == 404
