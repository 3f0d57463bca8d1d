import pytest
from eventyay_badges.models import Item

from eventyay.testing.capture import scoped

pytestmark = [pytest.mark.django_db, pytest.mark.plugins("badges")]

URL = "/api/v1/organizers/example/events/plugged/badges/items/"


def test_create_and_list_items(api_client, event_with_plugins):
    created = api_client.post(URL, {"name": "From the API"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "From the API"
    with scoped(event_with_plugins):
        assert Item.objects.get(pk=created.json()["id"]).event == event_with_plugins
    listed = api_client.get(URL).json()
    assert [row["name"] for row in listed["results"]] == ["From the API"]


def test_create_without_a_name_is_a_400_naming_the_field(api_client, event_with_plugins):
    response = api_client.post(URL, {}, format="json")
    assert response.status_code == 400
    assert "name" in response.content.decode()


def test_reading_needs_the_read_and_writing_the_write_permission(
    api_client_with_permissions, event_with_plugins
):
    assert api_client_with_permissions("event.settings:read").get(URL).status_code == 403
    reader = api_client_with_permissions("event.badges:read")
    assert reader.get(URL).status_code == 200
    assert reader.post(URL, {"name": "No"}, format="json").status_code == 403


def test_other_organizers_get_a_404(other_organizer, event_with_plugins):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other_organizer.member)
    assert client.get(URL).status_code == 404


def test_api_answers_404_where_the_plugin_is_off(api_client, event_without_plugins):
    assert api_client.get("/api/v1/organizers/example/events/unplugged/badges/items/").status_code == 404
