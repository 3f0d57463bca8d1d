"""The public schedule grid: proportional heights, room columns, breaks across rooms, legend,
day switch, and the markup the phone layout and the current-time marker rely on."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client

from .conftest import TZ, url


def _cards(html: str) -> dict[str, tuple[int, int, int, int]]:
    """Title -> (first row, last row, first column, last column) of each grid card."""
    found = {}
    pattern = re.compile(
        r'style="grid-row: (\d+) / (\d+); grid-column: (\d+) / (\d+)[^"]*"[^>]*>'
        r'.*?class="talk-slot-title"[^>]*>([^<]+)<'
    )
    for match in pattern.finditer(html):
        found[match.group(5)] = tuple(int(match.group(n)) for n in range(1, 5))
    return found


def _release_v2(talk_event, rooms, make_submission) -> None:
    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import break_create, schedule_release, slot_schedule, wip_schedule

    workshop = make_submission(title="Long workshop", state="confirmed", duration=90)
    wip = wip_schedule(event=talk_event)
    slot = TalkSlot.objects.get(schedule=wip, submission=workshop)
    slot_schedule(slot=slot, room=rooms[1], start=dt.datetime(2030, 6, 1, 14, 0, tzinfo=TZ))
    for room in rooms:
        break_create(
            event=talk_event,
            room=room,
            start=dt.datetime(2030, 6, 1, 16, 0, tzinfo=TZ),
            end=dt.datetime(2030, 6, 1, 16, 30, tzinfo=TZ),
            description={"en": "Coffee"},
        )
    schedule_release(event=talk_event, version="v2", notify_speakers=False)


def test_grid_scales_time_and_places_rooms_in_columns(released, talk_event, rooms, make_submission) -> None:
    _release_v2(talk_event, rooms, make_submission)
    html = Client().get(url(talk_event, "schedule")).content.decode()
    cards = _cards(html)
    first, last, column, column_end = cards["Long workshop"]
    short = cards["Über Fahrpläne"]
    # Five-minute rows: 90 minutes are 18 rows, a 30-minute talk 6, in its room's column.
    assert last - first == 18 and short[1] - short[0] == 6
    assert (column, column_end) == (3, 4) and short[2:] == (2, 3)
    # Day one starts at 10:00 (Berlin): the 14:00 workshop starts 4 h = 48 rows below it.
    assert first - short[0] == 48
    # A break in every room at once is one card across all columns, named for all rooms.
    assert cards["Coffee"][2:] == (2, 5) and "All rooms" in html
    # A break in a single room stays in that column.
    assert cards["Mittagspause"][2:] == (2, 3)
    room_heads = re.findall(r'class="talk-grid-room" style="grid-column: (\d+)"[^>]*>([^<]+)<', html)
    assert room_heads[:3] == [("2", "Saal Ü"), ("3", "Room B"), ("4", "Room C")]


def test_grid_has_legend_day_switch_and_marker_data(released, talk_event) -> None:
    html = Client().get(url(talk_event, "schedule")).content.decode()
    legend = html[html.index('class="talk-legend"') :]
    assert "Open Source" in legend[: legend.index("</section>")] and "#aa3300" in legend
    days = re.findall(r'<a class="nav-link" href="#day-(\d)"', html)
    assert days == ["1", "2", "3"] and 'id="day-3"' in html and ">Sat, June 1</a>" in html
    # The script places the current-time marker from each day's bounds in the event's zone.
    assert 'data-start="2030-06-01T10:00:00+02:00"' in html and 'data-step="5"' in html
    # Cards carry their room for the phone layout, where the room columns are hidden.
    assert re.search(r'class="talk-slot-room">Saal Ü<', html)
