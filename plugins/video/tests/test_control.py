"""Control panel pages: rooms and modules, moderation, announcements, reports; the attendee page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import services
from eventyay_video.models import Announcement, ChatMessage, Poll, Question, Restriction, Room
from eventyay_video.tokens import VideoUser, token_decode

from eventyay.base.models import User
from eventyay.base.services.teams import team_member_add, team_save

pytestmark = pytest.mark.django_db


def control(event, name: str, **kwargs) -> str:
    return reverse(
        f"plugins:video:control.{name}",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs},
    )


@pytest.fixture
def admin(client_for, user):
    return client_for(user)


@pytest.mark.parametrize("page", ["rooms", "moderation", "announcements", "reports"])
def test_pages_render_for_the_team(admin, video_event, room, page):
    response = admin.get(control(video_event, page))
    assert response.status_code == 200
    assert b"<script>" not in response.content


def test_room_page_renders(admin, video_event, room):
    assert admin.get(control(video_event, "room", room=room.pk)).status_code == 200


def test_create_room_and_add_modules(admin, video_event):
    response = admin.post(
        control(video_event, "rooms"),
        {"room-name": "Hall A", "room-order": 1, "room-traits": "product:4\nrole:speaker"},
    )
    with scope(organizer=video_event.organizer):
        room = Room.objects.get(event=video_event, name="Hall A")
    assert response.status_code == 302
    assert room.traits == ["product:4", "role:speaker"]
    assert room.channel is not None
    url = control(video_event, "room", room=room.pk)
    bad = admin.post(url, {"module-kind": "livestream.hls", "module-url": "", "module-order": 0})
    assert bad.status_code == 200 and "Enter a valid URL." in bad.content.decode()
    ok = admin.post(
        url,
        {
            "module-kind": "livestream.hls",
            "module-url": "https://cdn.example.org/live.m3u8",
            "module-order": 0,
        },
    )
    assert ok.status_code == 302
    call = admin.post(
        url,
        {
            "module-kind": "call.bigbluebutton",
            "module-record": "on",
            "module-moderator_traits": "role:speaker\nrole:host",
            "module-order": 1,
        },
    )
    assert call.status_code == 302
    with scope(organizer=video_event.organizer):
        assert list(room.modules.values_list("kind", flat=True)) == ["livestream.hls", "call.bigbluebutton"]
        assert room.modules.get(kind="call.bigbluebutton").config == {
            "record": True,
            "moderator_traits": ["role:host", "role:speaker"],
        }


def test_join_as_organizer_redirects_with_a_token(admin, video_event, user):
    response = admin.post(control(video_event, "join"))
    assert response.status_code == 302
    token = re.search(r"\?token=(.+)$", response["Location"]).group(1)
    member = token_decode(event=video_event, token=token)
    assert member.uid == f"team:{user.pk}" and member.is_organizer


def test_live_moderation_actions(admin, video_event, room):
    with scope(organizer=video_event.organizer):
        attendee = VideoUser(uid="ticket:x", name="X")
        message = services.chat_message_send(
            event=video_event, channel=room.channel, user=attendee, content="spam"
        )
        question = services.question_ask(event=video_event, room=room, user=attendee, content="Q?")
        poll = services.poll_create(room=room, question="P?", options=["a", "b"], by="team:1")
    url = control(video_event, "moderation")
    assert admin.post(url, {"action": "delete_message", "id": message.pk}).status_code == 302
    assert admin.post(url, {"action": "pin_question", "id": question.pk}).status_code == 302
    assert admin.post(url, {"action": "close_poll", "id": poll.pk}).status_code == 302
    assert admin.post(url, {"restrict": "1", "r-uid": "ticket:x", "r-kind": "silence"}).status_code == 302
    assert (
        admin.post(
            url, {"add_moderator": "1", "m-uid": "ticket:helper", "m-name": "Helper", "m-room": room.pk}
        ).status_code
        == 302
    )
    assert admin.post(url, {"action": "nonsense"}).status_code == 404
    with scope(organizer=video_event.organizer):
        assert ChatMessage.objects.get(pk=message.pk).deleted
        assert Question.objects.get(pk=question.pk).pinned
        assert Poll.objects.get(pk=poll.pk).state == "closed"
        assert Restriction.objects.get(event=video_event, uid="ticket:x").kind == "silence"
        assert room.moderators.get().uid == "ticket:helper"
    page = admin.get(url).content.decode()
    assert "ticket:helper" in page and "ticket:x" in page


def test_announcement_is_created_and_hidden(admin, video_event):
    url = control(video_event, "announcements")
    assert admin.post(url, {"text": "Doors open"}).status_code == 302
    with scope(organizer=video_event.organizer):
        announcement = Announcement.objects.get(event=video_event)
    assert admin.post(url, {"hide": announcement.pk}).status_code == 302
    announcement.refresh_from_db()
    assert not announcement.active
    assert admin.post(url, {"text": ""}).status_code == 200


def test_reports_count_chat_and_questions(admin, video_event, room):
    with scope(organizer=video_event.organizer):
        attendee = VideoUser(uid="ticket:x", name="X")
        for text in ("a", "b"):
            services.chat_message_send(event=video_event, channel=room.channel, user=attendee, content=text)
        services.question_ask(event=video_event, room=room, user=attendee, content="Q?")
        services.viewer_sample_record(room_id=room.pk, count=42)
    page = admin.get(control(video_event, "reports")).content.decode()
    assert re.search(r"<td>Main stage</td><td>2</td><td>1</td><td>0</td><td>42</td>", page)


def test_pages_need_the_video_permission(client_for, organizer, video_event, room):
    helper = User.objects.create_user("helper@example.org", "another horse battery")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Readers", permissions=["event.video:read"], all_events=True
        )
        team_member_add(team=team, user=helper)
    reader = client_for(helper)
    assert reader.get(control(video_event, "reports")).status_code == 200
    assert reader.get(control(video_event, "rooms")).status_code == 403


def test_other_organizer_gets_404(client_for, other_organizer, video_event, room):
    outsider = client_for(other_organizer.member)
    for page in ("rooms", "moderation", "announcements", "reports"):
        assert outsider.get(control(video_event, page)).status_code == 404
    assert outsider.get(control(video_event, "room", room=room.pk)).status_code == 404


def test_room_of_another_event_is_404(admin, video_event, make_event):
    other = make_event(slug="other", plugins=["video"])
    with scope(organizer=other.organizer):
        foreign = services.room_save(event=other, data={"name": "Elsewhere"})
    assert admin.get(control(video_event, "room", room=foreign.pk)).status_code == 404


def test_attendee_page_has_no_inline_script_and_labels_its_fields(client, video_event):
    response = client.get(
        reverse("plugins:video:video.index", kwargs={"organizer": "example", "event": "online"})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) is None
    assert 'for="video-chat-input"' in html and 'aria-live="polite"' in html
    assert "eventyay_video/video.js" in html and "vendor/hls/hls.min.js" in html
    assert "connect-src" in response.headers.get("Content-Security-Policy", "")


def test_attendee_page_is_404_where_the_plugin_is_off(client, event, other_organizer):
    assert client.get(f"/{event.organizer.slug}/{event.slug}/video/").status_code == 404
    assert client.get("/other/otherconf/video/").status_code == 404


def test_demo_data_is_complete_and_idempotent(video_event):
    from eventyay.base.plugins import hooks_for

    with scope(organizer=video_event.organizer):
        for _ in range(2):
            hooks_for(video_event).demo_data(event=video_event)
        rooms = list(Room.objects.filter(event=video_event))
        assert len(rooms) == 4
        for room in rooms:
            assert room.modules.filter(kind="livestream.hls").exists()
            assert ChatMessage.objects.filter(channel=room.channel).count() == 8
            assert Poll.objects.filter(room=room).count() == 1
            assert Question.objects.filter(room=room).count() == 2
