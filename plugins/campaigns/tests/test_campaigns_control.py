"""Campaign pages of the control panel: list, edit with preview and count, actions, progress."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_campaigns.models import Campaign
from eventyay_campaigns.services import campaigns as services

pytestmark = pytest.mark.django_db

BASE = "/control/organizer/example/contacts/campaigns/"
FORM = {
    "name": "Spring",
    "channel": "email",
    "subject": "Hi {first_name}",
    "body": "Hello **{first_name}**",
    "city": "Berlin",
}


@pytest.fixture
def client(client_for: Any, user: Any) -> Any:
    return client_for(user)


@pytest.fixture
def people(make_contact: Any) -> None:
    make_contact("ann@example.org", first_name="<i>Ann</i>", city="Berlin", marketing_consent=True)
    make_contact("bob@example.org", first_name="Bob", city="Paris", marketing_consent=True)


def test_a_draft_is_created_with_a_filter_counted_and_previewed(
    client: Any, organizer: Any, people: None
) -> None:
    preview = client.post(f"{BASE}add/", {**FORM, "count": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "1 recipient " in preview
    assert "Hello <strong>&lt;i&gt;Ann&lt;/i&gt;</strong>" in preview
    response = client.post(f"{BASE}add/", {**FORM, "save": "1"})
    assert response.status_code == 302
    with scope(organizer=organizer):
        campaign = Campaign.objects.get()
    assert (campaign.filters, campaign.status) == ({"city": "Berlin"}, "draft")
    page = client.get(BASE).content.decode()
    assert "Spring" in page and "Draft" in page


def test_bad_input_is_a_form_error(client: Any, people: None) -> None:
    response = client.post(f"{BASE}add/", {**FORM, "events_attended_min": "many", "save": "1"})
    assert response.status_code == 200
    assert "Enter a whole number" in response.content.decode()


def test_send_now_asks_first_then_sends_and_shows_progress(
    client: Any, organizer: Any, people: None, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client.post(f"{BASE}add/", {**FORM, "save": "1"})
    with scope(organizer=organizer):
        campaign = Campaign.objects.get()
    url = f"{BASE}{campaign.pk}/send/"
    question = client.get(url).content.decode()
    assert "Send this campaign now to 1 recipients?" in question
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert [m.to for m in mailoutbox] == [["ann@example.org"]]
    detail = client.get(f"{BASE}{campaign.pk}/").content.decode()
    assert "Sent" in detail
    progress = client.get(f"{BASE}{campaign.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="campaign-progress"' in progress and "hx-trigger" not in progress


def test_a_sending_campaign_polls_its_progress_and_can_be_paused(
    client: Any, organizer: Any, people: None, monkeypatch: Any
) -> None:
    monkeypatch.setattr(services, "_enqueue_batch", lambda campaign_id: None)
    client.post(f"{BASE}add/", {**FORM, "save": "1"})
    with scope(organizer=organizer):
        campaign = Campaign.objects.get()
    client.post(f"{BASE}{campaign.pk}/send/")
    detail = client.get(f"{BASE}{campaign.pk}/").content.decode()
    assert 'hx-trigger="every 3s"' in detail and 'http-equiv="refresh"' in detail
    assert client.post(f"{BASE}{campaign.pk}/pause/").status_code == 302
    with scope(organizer=organizer):
        assert Campaign.objects.get().status == "paused"
    # Resuming twice: the second is refused with a message, not an error page.
    client.post(f"{BASE}{campaign.pk}/resume/")
    response = client.post(f"{BASE}{campaign.pk}/resume/", follow=True)
    assert "Only a paused campaign can be resumed." in response.content.decode()


def test_schedule_needs_a_future_time(client: Any, organizer: Any, people: None) -> None:
    client.post(f"{BASE}add/", {**FORM, "save": "1"})
    with scope(organizer=organizer):
        campaign = Campaign.objects.get()
    response = client.post(f"{BASE}{campaign.pk}/schedule/", {"send_at": "2001-01-01T10:00"}, follow=True)
    assert "Choose a time in the future." in response.content.decode()
    client.post(f"{BASE}{campaign.pk}/schedule/", {"send_at": "2099-01-01T10:00"})
    with scope(organizer=organizer):
        assert Campaign.objects.get().status == "scheduled"


def test_list_query_count_is_constant(client: Any, organizer: Any) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BASE).status_code == 200
        return len(queries)

    def add(name: str) -> None:
        with scope(organizer=organizer):
            services.campaign_save(organizer=organizer, data={"name": name, "subject": "S", "body": "B"})

    add("First")
    count()
    before = count()
    for n in range(4):
        add(f"More {n}")
    assert count() == before


def test_other_organizers_member_gets_404_and_readers_cannot_send(
    client_for: Any, other_organizer: Any, organizer: Any, team_with_permissions: Any
) -> None:
    with scope(organizer=organizer):
        campaign = services.campaign_save(
            organizer=organizer, data={"name": "N", "subject": "S", "body": "B"}
        )
    outsider = client_for(other_organizer.member)
    for url in (
        BASE,
        f"{BASE}add/",
        f"{BASE}{campaign.pk}/",
        f"{BASE}{campaign.pk}/send/",
        f"{BASE}{campaign.pk}/progress/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"{BASE}{campaign.pk}/send/").status_code == 404
    reader = client_for(team_with_permissions("organizer.campaigns:read").member)
    assert reader.get(BASE).status_code == 200
    assert reader.post(f"{BASE}{campaign.pk}/send/").status_code == 403
    assert reader.get(f"{BASE}add/").status_code == 403


def test_the_sending_rate_is_set_on_the_list_page(
    client: Any, organizer: Any, team_with_permissions: Any, client_for: Any
) -> None:
    from eventyay_campaigns.services.sending import DEFAULT_RATE, organizer_rate

    assert f'value="{DEFAULT_RATE}"' in client.get(BASE).content.decode()
    assert (
        "Ensure this value is greater than or equal to 1" in client.post(BASE, {"rate": "0"}).content.decode()
    )
    assert client.post(BASE, {"rate": "120"}).status_code == 302
    organizer.settings._values = None
    assert organizer_rate(organizer) == 120
    reader = client_for(team_with_permissions("organizer.campaigns:read").member)
    assert reader.post(BASE, {"rate": "5"}).status_code == 403
