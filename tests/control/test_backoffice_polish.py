"""Control panel structure: grouped sidebar, page titles, dashboards and the log in words."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe
from django_scopes import scope

from eventyay.base.plugins.records import DashboardWidget, LogActionType, NavItem
from eventyay.base.services.log import log_action
from eventyay.control.log_actions import action_label, humanize
from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db

EVENT = "/control/event/example/conf/"


def details_groups(html: str) -> dict[str, str]:
    """Sidebar group label -> the group's markup."""
    return {
        label.strip(): body
        for label, body in re.findall(
            r"<details[^>]*>\s*<summary[^>]*>([^<]+)</summary>(.*?)</details>", html, re.S
        )
    }


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def test_sidebar_is_grouped_and_collapsible_with_plugin_groups(client_for, user, event):
    def nav(event, request):
        return [
            NavItem(label="Badges", url="/control/badges/", group="Badges"),
            NavItem(label="Seat map", url="/control/seats/", group="tickets"),
        ]

    with register_temporarily("eventyay", control_nav_event=nav):
        html = client_for(user).get(EVENT + "settings/").content.decode()
    groups = details_groups(html)
    assert "Settings" in groups["Event settings"] and "Audit log" in groups["Event settings"]
    assert "Badges" in groups["Badges"]
    assert "Seat map" in groups["Tickets"]
    # The current page's group is open; a group without the current page is closed.
    assert re.search(r'<details class="mb-2" data-nav-group="settings" open>', html)
    assert re.search(r'<details class="mb-2" data-nav-group="Badges">', html)
    assert 'aria-current="page"' in groups["Event settings"]


def test_every_event_page_has_its_own_title_and_heading(client_for, user, event):
    client = client_for(user)
    titles = set()
    for path in ("", "settings/", "plugins/", "log/", "clone/", "delete/"):
        html = client.get(EVENT + path).content.decode()
        assert html.count("<h1") == 1, path
        titles.add(title_of(html))
    assert len(titles) == 6
    assert title_of(client.get(EVENT + "log/").content.decode()).startswith("Audit log · ")
    html = client.get("/control/organizer/example/teams/").content.decode()
    assert title_of(html).startswith("Teams · ")


def test_event_dashboard_shows_plugin_widgets_by_priority(client_for, user, event):
    def widgets(event, request):
        return [
            DashboardWidget(title="Low", html=mark_safe("<p>low box</p>"), key="low"),
            DashboardWidget(title="High", html=mark_safe("<p>high box</p>"), key="high", priority=5),
        ]

    with register_temporarily("eventyay", control_dashboard_widgets=widgets):
        html = client_for(user).get(EVENT).content.decode()
    assert 'id="widget-high"' in html and "<p>low box</p>" in html
    assert html.index('id="widget-high"') < html.index('id="widget-low"')


def test_widgets_of_plugins_not_enabled_are_not_shown(client_for, user, event):
    def widgets(event, request):
        return [DashboardWidget(title="Elsewhere", html="not here", key="elsewhere")]

    with register_temporarily("not_enabled_plugin", control_dashboard_widgets=widgets):
        html = client_for(user).get(EVENT).content.decode()
    assert "not here" not in html


def test_log_shows_actions_in_words(client_for, user, event):
    with scope(organizer=event.organizer):
        log_action(action="eventyay_badges.badge.printed", organizer=event.organizer, event=event, actor=user)
        log_action(action="eventyay_badges.badge.reprinted_twice", organizer=event.organizer, event=event)
    with register_temporarily(
        "eventyay",
        register_log_action_types=lambda: [LogActionType("eventyay_badges.badge.printed", "Badge printed")],
    ):
        html = client_for(user).get(EVENT + "log/").content.decode()
    assert "Badge printed by member@example.org" in html
    assert "Badge reprinted twice" in html
    assert "Event created" in html
    assert "eventyay_badges." not in html and "eventyay.event.created" not in html


def test_unregistered_actions_read_as_words():
    assert humanize("eventyay_talk.room.availability_added") == "Room availability added"
    assert action_label("eventyay.team.created") == "Team created"


def test_organizer_dashboard_lists_events_with_figures(client_for, user, event, make_event):
    make_event(slug="second", is_public=False)
    client = client_for(user)
    with CaptureQueriesContext(connection) as few:
        html = client.get("/control/organizer/example/").content.decode()
    assert "Create an event" in html
    rows = re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>.*?</tr>", html, re.S)
    assert len(rows) == 2
    assert "upcoming" in html
    for index in range(3):
        make_event(slug=f"more{index}")
    with CaptureQueriesContext(connection) as many:
        client.get("/control/organizer/example/")
    assert len(many) == len(few)


def test_other_organizers_member_gets_404(client_for, event, other_organizer):
    client = client_for(other_organizer.member)
    for url in (EVENT, EVENT + "log/", "/control/organizer/example/"):
        assert client.get(url).status_code == 404, url


def test_long_actions_disable_their_button(client_for, user, event):
    from django.contrib.staticfiles import finders

    html = client_for(user).get(EVENT + "clone/").content.decode()
    assert re.search(r'<form [^>]*data-long-action="Copying the event…"', html)
    assert "eventyay_control/long-actions.js" in html
    with open(finders.find("eventyay_control/long-actions.js"), encoding="utf-8") as file:
        script = file.read()
    assert "data-long-action" in script and "disabled = true" in script
