"""The control panel page of user reports: open ones, dismiss, resolve, ban; filters; rights."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import people
from eventyay_video.models import ChatMessage, Restriction, UserProfile, UserReport

from eventyay.base.models import LogEntry, User
from eventyay.base.services.teams import team_member_add, team_save

pytestmark = pytest.mark.django_db


def page(event, query: str = "") -> str:
    url = reverse(
        "plugins:video:control.user_reports",
        kwargs={"organizer": event.organizer.slug, "event": event.slug},
    )
    return f"{url}?{query}" if query else url


@pytest.fixture
def admin(client_for, user):
    return client_for(user)


@pytest.fixture
def report(video_event, room):
    with scope(organizer=video_event.organizer):
        message = ChatMessage.objects.create(
            channel=room.channel, sender_uid="ticket:troll", sender_name="Troll", content="You all stink"
        )
        UserProfile.objects.create(event=video_event, uid="ticket:troll", display_name="Trolly McTroll")
        return UserReport.objects.create(
            event=video_event,
            reporter_uid="ticket:alice",
            reported_uid="ticket:troll",
            reason="Insults everyone",
            message=message,
        )


def status_of(report) -> str:
    with scopes_disabled():
        report.refresh_from_db()
    return report.status


def test_open_reports_are_listed_with_names_message_and_reason(admin, video_event, report):
    response = admin.get(page(video_event))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Insults everyone", "You all stink", "Trolly McTroll", "ticket:alice", "Main stage"):
        assert text in html, text
    assert 'value="dismiss"' in html and 'value="ban"' in html


def test_the_video_navigation_links_the_page(admin, video_event):
    rooms = reverse(
        "plugins:video:control.rooms",
        kwargs={"organizer": video_event.organizer.slug, "event": video_event.slug},
    )
    assert page(video_event) in admin.get(rooms).content.decode()


def test_dismiss_moves_the_report_to_its_filter_and_is_logged(admin, video_event, report):
    response = admin.post(page(video_event), {"action": "dismiss", "id": report.pk})
    assert response.status_code == 302
    assert status_of(report) == UserReport.Status.DISMISSED
    assert "Insults everyone" not in admin.get(page(video_event)).content.decode()
    assert "Insults everyone" in admin.get(page(video_event, "status=dismissed")).content.decode()
    assert "Insults everyone" not in admin.get(page(video_event, "status=resolved")).content.decode()
    with scopes_disabled():
        entry = LogEntry.objects.get(action_type="eventyay_video.report.dismissed")
        assert entry.event_id == video_event.pk and entry.data["reported"] == "ticket:troll"
        assert entry.data["ban"] is False
        report.refresh_from_db()
        assert report.handled is not None and report.handled_by.startswith("team:")
        # No longer among the reports moderators get over the websocket.
        assert people.reports_open(event=video_event) == []


def test_resolve_then_a_second_action_is_refused(admin, video_event, report):
    admin.post(page(video_event), {"action": "resolve", "id": report.pk})
    assert status_of(report) == UserReport.Status.RESOLVED
    assert "Insults everyone" in admin.get(page(video_event, "status=resolved")).content.decode()
    again = admin.post(page(video_event), {"action": "dismiss", "id": report.pk}, follow=True)
    assert "already been handled" in again.content.decode()
    assert status_of(report) == UserReport.Status.RESOLVED
    with scopes_disabled():
        assert LogEntry.objects.filter(action_type="eventyay_video.report.resolved").count() == 1


def test_ban_bans_the_reported_user_and_resolves(admin, video_event, report):
    admin.post(page(video_event), {"action": "ban", "id": report.pk})
    assert status_of(report) == UserReport.Status.RESOLVED
    with scopes_disabled():
        ban = Restriction.objects.get(event=video_event, uid="ticket:troll")
        assert ban.kind == Restriction.Kind.BAN
        assert LogEntry.objects.get(action_type="eventyay_video.report.resolved").data["ban"] is True
        assert LogEntry.objects.filter(action_type="eventyay_video.user.ban").exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"action": "delete", "id": "1"}, "action"),
        ({"id": "1"}, "action"),
        ({"action": "resolve", "id": "x"}, "id"),
    ],
)
def test_bad_input_is_400_naming_the_field(admin, video_event, report, data, field):
    response = admin.post(page(video_event), data)
    assert response.status_code == 400 and f"“{field}”" in response.content.decode()
    assert status_of(report) == UserReport.Status.OPEN


def test_unknown_status_filter_is_400(admin, video_event):
    response = admin.get(page(video_event, "status=everything"))
    assert response.status_code == 400 and "“status”" in response.content.decode()


def test_report_of_another_event_is_404(admin, video_event, make_event):
    other = make_event(slug="other", plugins=["video"])
    with scope(organizer=other.organizer):
        foreign = UserReport.objects.create(event=other, reporter_uid="a", reported_uid="b", reason="x")
    assert admin.post(page(video_event), {"action": "resolve", "id": foreign.pk}).status_code == 404
    assert status_of(foreign) == UserReport.Status.OPEN


def test_other_organizer_gets_404(client_for, other_organizer, video_event, report):
    outsider = client_for(other_organizer.member)
    assert outsider.get(page(video_event)).status_code == 404
    assert outsider.post(page(video_event), {"action": "ban", "id": report.pk}).status_code == 404
    assert status_of(report) == UserReport.Status.OPEN


def test_member_without_the_moderation_permission_gets_403(client_for, organizer, video_event, report):
    helper = User.objects.create_user("reader@example.org", "another horse battery")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Readers", permissions=["event.video:read"], all_events=True
        )
        team_member_add(team=team, user=helper)
    reader = client_for(helper)
    assert reader.get(page(video_event)).status_code == 403
    assert reader.post(page(video_event), {"action": "dismiss", "id": report.pk}).status_code == 403
    assert status_of(report) == UserReport.Status.OPEN


def test_the_page_in_german(client_for, user, video_event, report):
    user.locale = "de"
    user.save(update_fields=["locale"])
    html = client_for(user).get(page(video_event), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    for text in (
        "Verwerfen",
        "Gemeldet von",
        "Person sperren und erledigen",
        "Meldungen filtern",
        "Verworfen",
    ):
        assert text in html, text
