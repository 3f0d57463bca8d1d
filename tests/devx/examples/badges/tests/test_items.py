import pytest
from django.core.management import call_command
from eventyay_badges.models import Item
from eventyay_badges.services import item_create

from eventyay.testing.capture import scoped

pytestmark = pytest.mark.django_db


def test_migrations_match_the_models(settings):
    settings.MIGRATION_MODULES = {}  # read the migration files, also under pytest --no-migrations
    call_command("makemigrations", "eventyay_badges", "--check", "--dry-run", verbosity=0)


@pytest.mark.plugins("badges")
def test_item_create_writes_the_item_and_an_audit_entry(event_with_plugins, user):
    with scoped(event_with_plugins):
        item = item_create(event=event_with_plugins, name="First", actor=user)
        assert list(Item.objects.filter(event=event_with_plugins)) == [item]
        entry = event_with_plugins.log_entries.get(action_type="badges.item.created")
    assert entry.user == user


@pytest.mark.plugins("badges")
def test_control_list_shows_the_items_of_this_event_only(
    client_for, user, event_with_plugins, event_without_plugins
):
    with scoped(event_with_plugins):
        item_create(event=event_with_plugins, name="Shown here")
    page = client_for(user).get("/control/event/example/plugged/badges/")
    assert page.status_code == 200
    assert "Shown here" in page.content.decode()
    assert client_for(user).get("/control/event/example/unplugged/badges/").status_code == 404


@pytest.mark.plugins("badges")
def test_control_list_needs_the_read_permission(client_for, team_with_permissions, event_with_plugins):
    without = team_with_permissions("event.settings:read")
    assert client_for(without.member).get("/control/event/example/plugged/badges/").status_code == 403
    reader = team_with_permissions("event.badges:read")
    assert client_for(reader.member).get("/control/event/example/plugged/badges/").status_code == 200


@pytest.mark.plugins("badges")
def test_control_list_is_hidden_from_other_organizers(client_for, other_organizer, event_with_plugins):
    assert client_for(other_organizer.member).get("/control/event/example/plugged/badges/").status_code == 404
