"""Every control page: the right user gets it, others are sent away without seeing anything."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scopes_disabled

ORG = "/control/organizer/example/"
EVENT = "/control/event/example/conf/"

#: (path, what a member without permissions gets: 200, or 403 when a permission is needed)
PAGES = [
    (ORG, 200),
    (ORG + "settings/", 403),
    (ORG + "log/", 403),
    (ORG + "teams/", 403),
    (ORG + "teams/add/", 403),
    (ORG + "teams/{team}/", 403),
    (ORG + "teams/{team}/delete/", 403),
    (ORG + "events/add/", 403),
    (EVENT, 200),
    (EVENT + "settings/", 403),
    (EVENT + "plugins/", 403),
    (EVENT + "log/", 403),
    (EVENT + "clone/", 403),
    (EVENT + "delete/", 403),
]


def _url(path: str, admin_team: Any) -> str:
    return path.format(team=admin_team.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "weak_status"), PAGES)
def test_page_access(
    client, client_for, user, weak_user, other_organizer, event, admin_team, path, weak_status
):
    url = _url(path, admin_team)
    assert client_for(user).get(url).status_code == 200

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/control/login/?next=")

    assert client_for(other_organizer.member).get(url).status_code == 404
    assert client_for(weak_user).get(url).status_code == weak_status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/control/",
        "/control/user/settings/",
        "/control/user/password/",
        "/control/user/2fa/",
        "/control/user/2fa/setup/",
        "/control/organizers/add/",
    ],
)
def test_account_pages_need_login(client, client_for, user, path):
    assert client.get(path).status_code == 302
    assert client_for(user).get(path).status_code == 200


@pytest.mark.django_db
def test_team_of_another_organizer_is_404_under_this_organizer(client_for, user, organizer, other_organizer):
    with scopes_disabled():
        foreign_team = other_organizer.teams.get()
    assert client_for(user).get(f"{ORG}teams/{foreign_team.pk}/").status_code == 404


@pytest.mark.django_db
def test_event_of_another_organizer_is_404_under_this_organizer(client_for, user, organizer, other_organizer):
    assert client_for(user).get("/control/event/example/otherconf/").status_code == 404
    assert client_for(user).get("/control/event/other/otherconf/").status_code == 404


@pytest.mark.django_db
def test_team_limited_to_one_event_does_not_see_the_other(client_for, organizer, make_event):
    from eventyay.base.models import User
    from eventyay.base.services.teams import team_member_add, team_save

    first = make_event(slug="first")
    make_event(slug="second")
    helper = User.objects.create_user("helper@example.org", "a long password 1")
    with scopes_disabled():
        team = team_save(
            organizer=organizer,
            name="Helpers",
            permissions=["event.settings:read"],
            all_events=False,
            limit_events=[first],
        )
        team_member_add(team=team, user=helper)
    client = client_for(helper)
    assert client.get("/control/event/example/first/settings/").status_code == 200
    assert client.get("/control/event/example/second/").status_code == 404
    dashboard = client.get("/control/").content.decode()
    assert "Conference first" in dashboard
    assert "Conference second" not in dashboard


@pytest.mark.django_db
def test_write_permission_is_needed_to_save_event_settings(client_for, weak_user, organizer, event):
    from eventyay.base.models import User
    from eventyay.base.services.teams import team_member_add, team_save

    reader = User.objects.create_user("reader@example.org", "a long password 2")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Readers", permissions=["event.settings:read"], all_events=True
        )
        team_member_add(team=team, user=reader)
    client = client_for(reader)
    assert client.get(EVENT + "settings/").status_code == 200
    assert client.post(EVENT + "settings/", {"slug": "changed"}).status_code == 403
    assert client.post(EVENT + "plugins/toggle/", {"plugin": "x", "action": "enable"}).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        ORG + "teams/{team}/invite/",
        ORG + "teams/{team}/tokens/",
        ORG + "teams/{team}/members/1/remove/",
        ORG + "teams/{team}/tokens/1/revoke/",
    ],
)
def test_team_actions_need_the_teams_permission(
    client, client_for, weak_user, other_organizer, admin_team, path
):
    url = _url(path, admin_team)
    assert client_for(weak_user).post(url, {}).status_code == 403
    assert client_for(other_organizer.member).post(url, {}).status_code == 404
    assert client.post(url, {}).status_code == 302
