import pytest
from django_scopes import scopes_disabled

from eventyay.base.models import User
from eventyay.base.permissions import grant_for_team, grant_for_user
from eventyay.base.services.teams import team_member_add, team_save


@pytest.mark.django_db
def test_team_limited_to_some_events_grants_only_there(organizer, make_event):
    first, second = make_event(slug="first"), make_event(slug="second")
    helper = User.objects.create_user("helper@example.org", "a long password 1")
    with scopes_disabled():
        team = team_save(
            organizer=organizer,
            name="Check-in",
            permissions=["event.settings:read"],
            all_events=False,
            limit_events=[first],
        )
        team_member_add(team=team, user=helper)
    grant = grant_for_user(helper, organizer)
    assert grant.can_see_event(first)
    assert not grant.can_see_event(second)
    assert grant.has_event_permission(first, "event.settings:read")
    assert not grant.has_event_permission(first, "event.settings:write")
    assert not grant.has_organizer_permission("organizer.teams:write")
    assert grant_for_team(team).event_permission_set(second) == frozenset()


@pytest.mark.django_db
def test_members_of_other_organizers_get_nothing(organizer, other_organizer, event):
    grant = grant_for_user(other_organizer.member, organizer)
    assert not grant.is_member
    assert not grant.can_see_event(event)


@pytest.mark.django_db
def test_unknown_permission_names_are_refused(organizer):
    from django.core.exceptions import ValidationError

    with scopes_disabled(), pytest.raises(ValidationError) as excinfo:
        team_save(organizer=organizer, name="Typo", permissions=["event.setings:read"], all_events=True)
    assert "permissions" in excinfo.value.message_dict


@pytest.mark.django_db
def test_superusers_may_do_everything(organizer, event):
    admin = User.objects.create_superuser("root@example.org", "a long password 2")
    grant = grant_for_user(admin, organizer)
    assert grant.has_event_permission(event, "event.settings:write")
    assert grant.has_organizer_permission("organizer.teams:write")
