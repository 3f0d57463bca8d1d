"""Teams: permissions, members, invitations (also to people without an account) and API tokens."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail, Team, TeamAPIToken, TeamInvite, User
from eventyay.base.plugins.records import TeamPermission
from eventyay.testing.plugin import register_temporarily

ORG = "/control/organizer/example/"


@pytest.mark.django_db
def test_team_form_offers_core_and_plugin_permissions(client_for, user, organizer):
    permission = TeamPermission("event.orders:read", "View orders")
    with register_temporarily("eventyay", register_team_permissions=lambda: [permission]):
        page = client_for(user).get(ORG + "teams/add/").content.decode()
    assert 'value="organizer.teams:write"' in page
    assert 'value="event.settings:read"' in page
    assert 'value="event.orders:read"' in page
    assert "View orders" in page


@pytest.mark.django_db
def test_create_a_team_limited_to_chosen_events(client_for, user, organizer, make_event):
    first = make_event(slug="first")
    make_event(slug="second")
    response = client_for(user).post(
        ORG + "teams/add/",
        {
            "name": "Check-in",
            "organizer_permissions": [],
            "event_permissions": ["event.settings:read"],
            "limit_events": [first.pk],
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        team = Team.objects.get(name="Check-in")
        assert team.permissions == ["event.settings:read"]
        assert not team.all_events
        assert [e.slug for e in team.limit_events.all()] == ["first"]


@pytest.mark.django_db
def test_edit_and_delete_a_team(client_for, user, organizer):
    client = client_for(user)
    client.post(ORG + "teams/add/", {"name": "Helpers", "all_events": "on"})
    with scopes_disabled():
        team = Team.objects.get(name="Helpers")
    response = client.post(
        f"{ORG}teams/{team.pk}/",
        {"name": "Helpers 2", "event_permissions": ["event.settings:write"], "all_events": "on"},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.permissions) == ("Helpers 2", ["event.settings:write"])
    assert client.post(f"{ORG}teams/{team.pk}/delete/").status_code == 302
    with scopes_disabled():
        assert not Team.objects.filter(pk=team.pk).exists()


@pytest.mark.django_db
def test_team_form_errors_are_shown_and_nothing_changes(client_for, user, admin_team):
    response = client_for(user).post(
        f"{ORG}teams/{admin_team.pk}/", {"name": "", "event_permissions": ["bogus"]}
    )
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.content.decode()
    admin_team.refresh_from_db()
    assert admin_team.name == "Administrators"


@pytest.mark.django_db
def test_inviting_an_existing_user_adds_them(client_for, user, admin_team):
    colleague = User.objects.create_user("colleague@example.org", "some long password")
    response = client_for(user).post(
        f"{ORG}teams/{admin_team.pk}/invite/", {"invite-email": "Colleague@example.org"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert admin_team.members.filter(pk=colleague.pk).exists()


@pytest.mark.django_db
def test_invitee_without_account_signs_up_and_joins(client_for, user, admin_team):
    client_for(user).post(f"{ORG}teams/{admin_team.pk}/invite/", {"invite-email": "newbie@example.org"})
    with scopes_disabled():
        mail = OutgoingMail.objects.get(to=["newbie@example.org"])
        invite = TeamInvite.objects.get(email="newbie@example.org")
    path = re.search(r"(/control/invite/\S+/)", mail.body_text).group(1)
    assert invite.token in path

    visitor = Client()
    to_login = visitor.get(path)
    assert to_login.status_code == 302
    assert to_login["Location"].startswith("/control/login/?next=")
    login_page = visitor.get(to_login["Location"]).content.decode()
    signup_link = re.search(r'href="(/control/signup/\?next=[^"]+)"', login_page).group(1)
    response = visitor.post(
        signup_link.replace("&amp;", "&"),
        {
            "email": "newbie@example.org",
            "password": "a brand new password",
            "password_repeat": "a brand new password",
            "next": path,
        },
    )
    assert response["Location"] == path
    assert "Join Administrators at Example Org" in visitor.get(path).content.decode()
    assert visitor.post(path)["Location"] == "/control/organizer/example/"
    newbie = User.objects.get(email="newbie@example.org")
    with scopes_disabled():
        assert admin_team.members.filter(pk=newbie.pk).exists()
        assert not TeamInvite.objects.exists()
    assert visitor.get("/control/organizer/example/teams/").status_code == 200


@pytest.mark.django_db
def test_invitee_with_account_logs_in_first(client_for, user, admin_team):
    with scopes_disabled():
        invite = TeamInvite.objects.create(team=admin_team, email="later@example.org")
    User.objects.create_user("later@example.org", "a later password 1")
    visitor = Client()
    next_url = visitor.get(f"/control/invite/{invite.token}/")["Location"].split("next=")[1]
    response = visitor.post(
        "/control/login/",
        {
            "email": "later@example.org",
            "password": "a later password 1",
            "next": f"/control/invite/{invite.token}/",
        },
    )
    assert response["Location"] == f"/control/invite/{invite.token}/"
    assert next_url
    assert visitor.post(response["Location"]).status_code == 302


@pytest.mark.django_db
def test_remove_a_member(client_for, user, admin_team):
    colleague = User.objects.create_user("colleague@example.org", "some long password")
    with scopes_disabled():
        admin_team.members.add(colleague)
    response = client_for(user).post(f"{ORG}teams/{admin_team.pk}/members/{colleague.pk}/remove/")
    assert response.status_code == 302
    with scopes_disabled():
        assert not admin_team.members.filter(pk=colleague.pk).exists()
    assert client_for(colleague).get(ORG).status_code == 404


@pytest.mark.django_db
def test_api_token_secret_is_shown_once_and_revoking_works(client_for, user, admin_team):
    client = client_for(user)
    response = client.post(f"{ORG}teams/{admin_team.pk}/tokens/", {"token-name": "Scripts"})
    assert response.status_code == 302
    page = client.get(f"{ORG}teams/{admin_team.pk}/").content.decode()
    secret = re.search(r'<code id="new-token-secret">([^<]+)</code>', page).group(1)
    with scopes_disabled():
        token = TeamAPIToken.objects.get(name="Scripts")
    assert token.token_hash == TeamAPIToken.hash(secret)
    assert secret not in client.get(f"{ORG}teams/{admin_team.pk}/").content.decode()

    assert client.post(f"{ORG}teams/{admin_team.pk}/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert not token.active


@pytest.mark.django_db
def test_withdrawn_invitation_link_stops_working(client_for, user, admin_team):
    client = client_for(user)
    client.post(f"{ORG}teams/{admin_team.pk}/invite/", {"invite-email": "newcomer@example.org"})
    with scopes_disabled():
        invite = TeamInvite.objects.get(email="newcomer@example.org")
    page = client.get(f"{ORG}teams/{admin_team.pk}/").content.decode()
    assert f"invites/{invite.pk}/withdraw/" in page
    response = client.post(f"{ORG}teams/{admin_team.pk}/invites/{invite.pk}/withdraw/", follow=True)
    assert "has been withdrawn" in response.content.decode()
    with scopes_disabled():
        assert not TeamInvite.objects.filter(pk=invite.pk).exists()
    newcomer = User.objects.create_user("newcomer@example.org", "correct horse battery")
    assert client_for(newcomer).get(f"/control/invite/{invite.token}/").status_code == 404
    with scopes_disabled():
        assert not admin_team.members.filter(pk=newcomer.pk).exists()


@pytest.mark.django_db
def test_invitation_of_another_organizer_cannot_be_withdrawn(client_for, other_organizer, user, admin_team):
    with scopes_disabled():
        other_team = other_organizer.teams.first()
        invite = TeamInvite.objects.create(team=other_team, email="someone@example.org")
    client = client_for(user)
    assert client.post(f"{ORG}teams/{admin_team.pk}/invites/{invite.pk}/withdraw/").status_code == 404
    other_url = (
        f"/control/organizer/{other_organizer.slug}/teams/{other_team.pk}/invites/{invite.pk}/withdraw/"
    )
    assert client.post(other_url).status_code in (403, 404)
    with scopes_disabled():
        assert TeamInvite.objects.filter(pk=invite.pk).exists()


@pytest.mark.django_db
def test_last_member_who_manages_teams_cannot_be_removed(client_for, user, admin_team):
    client = client_for(user)
    response = client.post(f"{ORG}teams/{admin_team.pk}/members/{user.pk}/remove/", follow=True)
    assert "nobody who can manage" in response.content.decode()
    with scopes_disabled():
        assert admin_team.members.filter(pk=user.pk).exists()
    response = client.post(f"{ORG}teams/{admin_team.pk}/delete/", follow=True)
    assert "nobody who can manage" in response.content.decode()
    with scopes_disabled():
        assert Team.objects.filter(pk=admin_team.pk).exists()
    response = client.post(
        f"{ORG}teams/{admin_team.pk}/",
        {"name": "Administrators", "event_permissions": ["event.settings:read"], "all_events": "on"},
    )
    assert response.status_code == 200
    assert "nobody who can manage" in response.content.decode()
    with scopes_disabled():
        admin_team.refresh_from_db()
        assert "organizer.teams:write" in admin_team.permissions


@pytest.mark.django_db
def test_member_can_leave_once_another_manages_teams(client_for, user, organizer, admin_team):
    colleague = User.objects.create_user("colleague@example.org", "correct horse battery")
    with scopes_disabled():
        admin_team.members.add(colleague)
    response = client_for(colleague).post(f"{ORG}teams/{admin_team.pk}/members/{user.pk}/remove/")
    assert response.status_code == 302
    with scopes_disabled():
        assert list(admin_team.members.all()) == [colleague]
