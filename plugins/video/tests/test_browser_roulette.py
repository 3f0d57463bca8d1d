"""Two attendees meet through the networking roulette on the attendee page (headless Chromium)."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled
from eventyay_video import services
from eventyay_video.models import Module, RouletteRequest

from .test_browser import ServerThread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JITSI = "https://jitsi.example.org/"


def test_two_attendees_meet_through_the_roulette(video_event, make_room, token_for, chromium):
    room = make_room(name="Networking", kinds=(Module.Kind.CHAT,))
    with scope(organizer=video_event.organizer):
        services.module_save(room=room, kind=Module.Kind.NETWORKING_ROULETTE, config={"jitsi_url": JITSI})
    path = f"/{video_event.organizer.slug}/{video_event.slug}/video/"
    with ServerThread() as base:
        contexts = [chromium.new_context(), chromium.new_context()]
        alice, bob = (context.new_page() for context in contexts)
        errors: list[str] = []
        for page in (alice, bob):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(15000)
        alice.goto(base + path + "?token=" + token_for(uid="ticket:alice", name="Alice"))
        bob.goto(base + path + "?token=" + token_for(uid="ticket:bob", name="Bob"))
        for page in (alice, bob):
            page.locator("#video-room-name", has_text="Networking").wait_for()

        alice.get_by_role("button", name="Meet someone").click()
        alice.locator("#video-roulette-status", has_text="Waiting for someone").wait_for()
        bob.get_by_role("button", name="Meet someone").click()

        alice.locator("#video-roulette-status", has_text="You are meeting Bob.").wait_for()
        bob.locator("#video-roulette-status", has_text="You are meeting Alice.").wait_for()
        alice_call = alice.get_attribute("#video-roulette-join", "href")
        assert alice_call is not None and alice_call.startswith(JITSI + "eventyay-")
        assert bob.get_attribute("#video-roulette-join", "href") == alice_call

        # Bob moves on: Alice is told and waits again (the two are not matched again at once).
        bob.get_by_role("button", name="Next person").click()
        alice.locator("#video-roulette-status", has_text="Your partner moved on").wait_for()
        bob.locator("#video-roulette-status", has_text="Waiting for someone").wait_for()
        assert alice.locator("#video-roulette-join").count() == 0

        alice.get_by_role("button", name="Stop meeting people").click()
        alice.get_by_role("button", name="Meet someone").wait_for()
        assert errors == []
        for context in contexts:
            context.close()
    with scopes_disabled():
        states = dict(RouletteRequest.objects.filter(room=room).values_list("uid", "state"))
    # Alice stopped; Bob's closed page took him out of the queue too.
    assert states == {"ticket:alice": "left", "ticket:bob": "left"}
