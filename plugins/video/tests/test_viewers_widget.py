"""The online viewers box on the event dashboard: live counts, peaks from samples, permission-bound."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled
from eventyay_video import services
from eventyay_video.consumers import viewers_key

from eventyay.base.models import User
from eventyay.base.services.teams import team_member_add, team_save

pytestmark = pytest.mark.django_db

DASHBOARD = "/control/event/example/online/"


def cell(html: str, attribute: str, key: object) -> int:
    return int(re.search(rf'data-{attribute}="{key}">(\d+)<', html).group(1))


def sample(video_event, room, count: int, minutes_ago: int) -> None:
    with scope(organizer=video_event.organizer):
        services.viewer_sample_record(
            room_id=room.pk, count=count, time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
        )


def test_the_dashboard_shows_viewers_now_and_each_rooms_peak(client_for, user, video_event, make_room):
    main, side = make_room("Main stage"), make_room("Side room")
    sample(video_event, main, 12, 30)
    sample(video_event, main, 5, 10)
    sample(video_event, side, 3, 10)
    cache.set(viewers_key(main.pk), 7)
    html = client_for(user).get(DASHBOARD).content.decode()
    assert "Online viewers" in html and "viewers online now" in html
    assert cell(html, "viewers", "total") == 7
    assert cell(html, "viewers", main.pk) == 7 and cell(html, "peak", main.pk) == 12
    assert cell(html, "viewers", side.pk) == 0 and cell(html, "peak", side.pk) == 3
    assert 'href="/control/event/example/online/video/reports/"' in html


def test_an_event_without_rooms_says_so(client_for, user, video_event):
    html = client_for(user).get(DASHBOARD).content.decode()
    assert "Online viewers" in html and "No online rooms yet." in html


def test_more_rooms_cost_no_more_queries(client_for, user, video_event, make_room):
    client = client_for(user)
    client.get(DASHBOARD)
    sample(video_event, make_room("One"), 4, 5)
    with CaptureQueriesContext(connection) as few:
        client.get(DASHBOARD)
    for name in ("Two", "Three", "Four"):
        sample(video_event, make_room(name), 2, 5)
    with CaptureQueriesContext(connection) as many:
        html = client.get(DASHBOARD).content.decode()
    assert len(many) == len(few)
    assert html.count("data-peak=") == 4


def test_a_member_without_the_video_permission_does_not_see_it(client_for, organizer, video_event, make_room):
    make_room("Main stage")
    member = User.objects.create_user("tickets-only@example.org", "a long enough password")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Box office", permissions=["event.settings:read"], all_events=True
        )
        team_member_add(team=team, user=member)
    response = client_for(member).get(DASHBOARD)
    assert response.status_code == 200
    assert "Online viewers" not in response.content.decode()


def test_another_organizers_member_gets_404(client_for, video_event, make_room, other_organizer):
    make_room("Main stage")
    assert client_for(other_organizer.member).get(DASHBOARD).status_code == 404
