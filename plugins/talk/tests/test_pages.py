"""Public schedule pages, starring and the personal feed, and their query counts."""

from __future__ import annotations

import icalendar
import pytest
from django.test import Client
from eventyay_talk.models import StarFeedToken

from .conftest import url


def test_schedule_grid_and_list_work_without_javascript(released, talk_event) -> None:
    client = Client()
    grid = client.get(url(talk_event, "schedule"))
    assert grid.status_code == 200
    html = grid.content.decode()
    assert "Über Fahrpläne" in html and "Saal Ü" in html and 'class="talk-grid"' in html
    assert "Only accepted" not in html
    listing = client.get(url(talk_event, "schedule") + "?view=list").content.decode()
    assert 'class="talk-grid"' not in listing and "日本語のトーク" in listing


def test_schedule_cards_escape_titles_and_name_speakers(released, talk_event) -> None:
    html = Client().get(url(talk_event, "schedule")).content.decode()
    assert "Ça marche &amp; &lt;ok&gt;" in html and "<ok>" not in html
    assert "Alice Ångström" in html and "Bob Bœuf" in html
    assert "Mittagspause" in html and "--talk-track: #aa3300" in html


def test_visitor_timezone_switch(released, talk_event) -> None:
    client = Client()
    berlin = client.get(url(talk_event, "schedule")).content.decode()
    tokyo = client.get(url(talk_event, "schedule") + "?tz=Asia/Tokyo").content.decode()
    assert ">10:00<" in berlin
    assert ">17:00<" in tokyo and ">10:00<" not in tokyo
    assert client.get(url(talk_event, "schedule") + "?tz=Mars/Olympus").status_code == 200


def test_talk_speaker_and_changelog_pages(released, talk_event) -> None:
    client = Client()
    submission = released.talk_submissions[0]
    page = client.get(url(talk_event, "talk", code=submission.code))
    assert page.status_code == 200 and "Alice Ångström" in page.content.decode()
    profile = submission.speakers.get(email="alice@example.org").talk_profiles.get()
    speaker = client.get(url(talk_event, "speaker", code=profile.code)).content.decode()
    assert "Ünicode bio" in speaker and "日本語のトーク" not in speaker or "Über Fahrpläne" in speaker
    assert "Alice Ångström" in client.get(url(talk_event, "speakers")).content.decode()
    changelog = client.get(url(talk_event, "changelog")).content.decode()
    assert "v1" in changelog and "Über Fahrpläne" in changelog


def test_unpublished_talks_are_not_public(released, talk_event, make_submission) -> None:
    hidden = make_submission(title="Secret", state="submitted")
    assert Client().get(url(talk_event, "talk", code=hidden.code)).status_code == 404
    assert Client().get(url(talk_event, "talk.ics", code=hidden.code)).status_code == 404


def test_starring_and_the_secret_feed(released, talk_event, make_speaker) -> None:
    visitor = make_speaker("fan@example.org", "Fan")
    client = Client()
    client.force_login(visitor)
    submission = released.talk_submissions[3]
    client.post(url(talk_event, "talk.star", code=submission.code))
    token = StarFeedToken.objects.get(user=visitor).token
    feed = Client().get(url(talk_event, "starred.feed", token=token))
    assert feed.status_code == 200
    (event,) = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["summary"]) == submission.title
    page = client.get(url(talk_event, "schedule")).content.decode()
    assert token in page and "★" in page
    client.post(url(talk_event, "starred.reset"))
    assert Client().get(url(talk_event, "starred.feed", token=token)).status_code == 404
    client.post(url(talk_event, "talk.star", code=submission.code))
    new_token = StarFeedToken.objects.get(user=visitor).token
    assert not icalendar.Calendar.from_ical(
        Client().get(url(talk_event, "starred.feed", token=new_token)).content
    ).walk("VEVENT")


def test_starring_needs_a_login(released, talk_event) -> None:
    response = Client().post(url(talk_event, "talk.star", code=released.talk_submissions[0].code))
    assert response.status_code == 302 and "login" in response["Location"]


def test_schedule_page_queries_are_constant(
    released, talk_event, make_submission, rooms, django_assert_max_num_queries
) -> None:
    import datetime as dt

    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import schedule_release, slot_schedule, wip_schedule

    client = Client()
    pages = [url(talk_event, "schedule"), url(talk_event, "speakers"), url(talk_event, "changelog")]
    counts = {}
    client.get(url(talk_event, "cfp"))
    for page in pages:
        with django_assert_max_num_queries(20) as captured:
            client.get(page)
        counts[page] = len(captured.captured_queries)
    wip = wip_schedule(event=talk_event)
    for index in range(8):
        submission = make_submission(title=f"Extra {index}", state="confirmed")
        slot = TalkSlot.objects.get(schedule=wip, submission=submission)
        slot_schedule(
            slot=slot, room=rooms[index % 3], start=dt.datetime(2030, 6, 2, 14 + index // 3, 0, tzinfo=dt.UTC)
        )
    schedule_release(event=talk_event, version="v2", notify_speakers=False)
    # Prime the tenant cache for the new content version, as the first loop's pages found it
    # (a request of another page of the event; the measured pages are still rendered anew).
    client.get(url(talk_event, "cfp"))
    for page in pages:
        with django_assert_max_num_queries(counts[page]):
            assert client.get(page).status_code == 200


def test_pages_of_another_organizer_event_are_404(other_organizer, released) -> None:
    client = Client()
    client.force_login(other_organizer.member)
    assert client.get("/other/conf/schedule/").status_code == 404
    assert client.get("/other/otherconf/schedule/").status_code == 404


@pytest.mark.parametrize("name", ["schedule", "speakers", "cfp"])
def test_not_live_event_is_hidden_from_the_public(make_event, name: str) -> None:
    hidden = make_event(slug="hidden", plugins=["talk"], live=False)
    assert Client().get(url(hidden, name)).status_code == 404
