import pytest
from django.core.exceptions import ValidationError
from eventyay_badges.models import Item
from eventyay_badges.tasks import badges_count, paper_size

from eventyay.plugin_api import event_plugin_settings_update
from eventyay.testing.capture import scoped

pytestmark = [pytest.mark.django_db, pytest.mark.plugins("badges")]


def test_control_page_form_adds_a_badge(client_for, user, event_with_plugins):
    client = client_for(user)
    response = client.post("/control/event/example/plugged/badges/", {"name": "Ada"})
    assert response.status_code == 302
    with scoped(event_with_plugins):
        assert list(Item.objects.values_list("name", flat=True)) == ["Ada"]
    page = client.get("/control/event/example/plugged/badges/").content.decode()
    assert 'href="/control/event/example/plugged/badges/"' in page  # the panel's navigation


def test_control_page_form_names_a_missing_field(client_for, user, event_with_plugins):
    response = client_for(user).post("/control/event/example/plugged/badges/", {})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def test_writing_needs_the_write_permission(client_for, team_with_permissions, event_with_plugins):
    reader = team_with_permissions("event.badges:read")
    response = client_for(reader.member).post("/control/event/example/plugged/badges/", {"name": "x"})
    assert response.status_code == 403


def test_settings_form_validates_and_stores(event_with_plugins, user):
    with scoped(event_with_plugins):
        assert paper_size(event_with_plugins) == "a6"
        event_plugin_settings_update(
            event=event_with_plugins, plugin="badges", values={"paper_size": "letter"}, actor=user
        )
        assert paper_size(event_with_plugins) == "letter"
        with pytest.raises(ValidationError, match="paper_size"):
            event_plugin_settings_update(
                event=event_with_plugins, plugin="badges", values={"paper_size": "a0"}
            )


def test_task_runs_per_event(event_with_plugins, event_without_plugins):
    with scoped(event_with_plugins):
        Item.objects.create(event=event_with_plugins, name="Ada")
    assert badges_count.delay(event_with_plugins.pk).get() == 1
    assert badges_count.delay(event_without_plugins.pk).get() == 0


def test_plugin_permissions_reach_the_administrators_token(api_client, event_with_plugins):
    # The organizer's administrators team existed before the plugin: it holds its permissions.
    url = "/api/v1/organizers/example/events/plugged/badges/items/"
    assert api_client.post(url, {"name": "Grace"}, format="json").status_code == 201


def test_creating_an_event_needs_slug_name_and_start(api_client):
    response = api_client.post(
        "/api/v1/organizers/example/events/",
        {
            "slug": "summit",
            "name": {"en": "Summit"},
            "date_from": "2030-05-01T09:00:00Z",
            "plugins": ["badges"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["plugins"] == ["badges"]
    missing = api_client.post("/api/v1/organizers/example/events/", {"slug": "x"}, format="json")
    assert missing.status_code == 400
    assert {"name", "date_from"} <= set(missing.json())
