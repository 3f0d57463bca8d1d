"""The schedule editor says what a release would publish: unconfirmed talks are marked as not
published, changes since the last release are marked, and talks sit at their real start."""

from __future__ import annotations

import datetime as dt
import re

from django_scopes import scope

from .conftest import TZ
from .test_control_access import BASE


def _card(html: str, title: str) -> str:
    start = html.index(title)
    return html[html.rindex('<div class="card talk-slot', 0, start) : html.index("</form>", start)]


def test_editor_marks_unpublished_and_unreleased_slots(client_for, user, released, talk_event, rooms) -> None:
    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import slot_schedule, wip_schedule

    with scope(organizer=talk_event.organizer):
        wip = wip_schedule(event=talk_event)
        accepted = TalkSlot.objects.get(schedule=wip, submission__title="Only accepted")
        slot_schedule(slot=accepted, room=rooms[2], start=dt.datetime(2030, 6, 1, 16, 0, tzinfo=TZ))
        moved = TalkSlot.objects.get(schedule=wip, submission__title="Plain talk")
        slot_schedule(slot=moved, room=moved.room, start=dt.datetime(2030, 6, 1, 15, 10, tzinfo=TZ))
    html = client_for(user).get(BASE + "schedule/").content.decode()
    card = _card(html, "Only accepted")
    assert "talk-slot-unpublished" in card and "Not published: not confirmed" in card
    assert "New since the last release" in card
    assert "1 scheduled talk will not be published" in html
    moved_card = _card(html, "Plain talk")
    assert "Moved since the last release" in moved_card and "talk-slot-unpublished" not in moved_card
    assert "2 slots have changed since version “v1”" in html
    unchanged = _card(html, "Über Fahrpläne")
    assert "since the last release" not in unchanged and "Not published" not in unchanged
    # The moved talk starts at 15:10, between the editor's half-hour rows, and sits in its own row.
    row = re.search(r'<th scope="row" class="small">15:10</th>(.*?)</tr>', html, re.S)
    assert row and "Plain talk" in row.group(1)


def test_editor_without_a_release_marks_nothing_as_changed(
    client_for, user, talk_event, rooms, make_submission
):
    make_submission(title="Fresh talk", state="confirmed")
    html = client_for(user).get(BASE + "schedule/").content.decode()
    assert "Fresh talk" in html and "since the last release" not in html and "changed since" not in html
