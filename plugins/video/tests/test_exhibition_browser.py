"""A booth contact request in headless Chromium: an attendee asks, the staff accept, the attendee sees it."""

from __future__ import annotations

import pytest
from django_scopes import scope
from eventyay_video import exhibition

from .test_browser import ServerThread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_booth_contact_request_between_two_browsers(video_event, room, token_for, chromium):
    with scope(organizer=video_event.organizer):
        booth = exhibition.exhibitor_save(
            event=video_event,
            data={
                "name": "ACME Robotics",
                "short_text": "Robots for every venue",
                "call_url": "https://meet.example.org/acme",
            },
        )
        exhibition.exhibitor_staff_add(exhibitor=booth, uid="ticket:staff", name="Sam")
        exhibition.poster_save(event=video_event, data={"title": "Graphene at scale", "category": "Physics"})
    path = f"/{video_event.organizer.slug}/{video_event.slug}/video/"
    with ServerThread() as base:
        staff_context = chromium.new_context()
        alice_context = chromium.new_context()
        staff = staff_context.new_page()
        alice = alice_context.new_page()
        errors: list[str] = []
        for page in (staff, alice):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(15000)
        staff.goto(base + path + "?token=" + token_for(uid="ticket:staff", name="Sam"))
        alice.goto(base + path + "?token=" + token_for(uid="ticket:alice", name="Alice"))
        for page in (staff, alice):
            page.locator(f"#video-exhibitor-{booth.pk}", has_text="ACME Robotics").wait_for()
        assert staff.locator(f"#video-exhibitor-{booth.pk} button").count() == 0

        alice.get_by_role("button", name="Ask for contact").click()
        alice.locator(f"#video-exhibitor-status-{booth.pk}", has_text="Contact request sent.").wait_for()
        request = staff.locator("#video-contact-requests li", has_text="Alice")
        request.wait_for()
        request.get_by_role("button", name="Accept").click()
        staff.locator("#video-contact-requests li", has_text="accepted").wait_for()

        status = alice.locator(f"#video-exhibitor-status-{booth.pk}", has_text="accepted by Sam")
        status.wait_for()
        assert status.get_by_role("link", name="Join the booth call").get_attribute("href") == (
            "https://meet.example.org/acme"
        )

        vote = alice.locator("#video-poster-list li", has_text="Graphene at scale").locator(
            ".video-poster-vote"
        )
        vote.click()
        alice.locator("#video-poster-list .video-poster-vote[aria-pressed=true]", has_text="1").wait_for()
        assert errors == []
        staff_context.close()
        alice_context.close()


def test_the_booth_list_is_loaded_again_after_a_server_error(
    video_event, room, token_for, chromium, monkeypatch
):
    from eventyay_video.consumers import VideoConsumer

    with scope(organizer=video_event.organizer):
        booth = exhibition.exhibitor_save(event=video_event, data={"name": "ACME Robotics"})
    listing = VideoConsumer.ACTIONS["exhibition.list"]
    calls: list[int] = []

    async def fails_once(consumer, payload):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database failed for a moment")
        return await listing(consumer, payload)

    monkeypatch.setitem(VideoConsumer.ACTIONS, "exhibition.list", fails_once)
    path = f"/{video_event.organizer.slug}/{video_event.slug}/video/"
    with ServerThread() as base:
        context = chromium.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(15000)
        page.goto(base + path + "?token=" + token_for(uid="ticket:alice", name="Alice"))
        page.locator(f"#video-exhibitor-{booth.pk}", has_text="ACME Robotics").wait_for()
        assert len(calls) == 2 and errors == []
        context.close()
