"""``/api/v1/organizers/<organizer>/plugins/``: the plugins of level organizer switched on for it."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope

from eventyay.base.models import Event, LogEntry
from eventyay.base.plugins import hooks_for
from eventyay.base.plugins.manager import clear_caches, registry
from eventyay.base.services.organizer_plugins import organizer_plugin_names, organizer_plugins_update
from eventyay.testing.plugin import register_temporarily
from tests.control.conftest import fake_plugin

URL = "/api/v1/organizers/example/plugins/"


@pytest.fixture
def org_plugins(monkeypatch: pytest.MonkeyPatch) -> Any:
    for info in (
        fake_plugin("fake_contacts", level="organizer"),
        fake_plugin("fake_mailing", level="organizer"),
        fake_plugin("fake_event_only"),
    ):
        monkeypatch.setitem(registry.plugins, info.name, info)
    clear_caches()
    with register_temporarily(
        "fake_contacts", event_public_sections=lambda event, request: [f"contacts on {event.slug}"]
    ):
        yield
    clear_caches()


@pytest.mark.django_db
def test_read_and_write_the_full_list(api_client, organizer, make_event, org_plugins):
    event = make_event(slug="conf")
    assert api_client.get(URL).json() == {"plugins": []}

    response = api_client.patch(URL, {"plugins": ["fake_contacts", "fake_mailing"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"plugins": ["fake_contacts", "fake_mailing"]}
    with scope(organizer=organizer):
        fresh = Event.objects.select_related("organizer").get(pk=event.pk)
        assert ["contacts on conf"] in hooks_for(fresh).event_public_sections(event=fresh, request=None)
        assert LogEntry.objects.filter(action_type="eventyay.organizer.plugin.enabled").count() == 2

    response = api_client.put(URL, {"plugins": ["fake_mailing"]}, format="json")
    assert response.json() == {"plugins": ["fake_mailing"]}
    assert api_client.get(URL).json() == {"plugins": ["fake_mailing"]}
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == {"fake_mailing"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [{"plugins": ["fake_event_only"]}, {"plugins": ["nonexistent"]}, {}, {"plugins": "x"}]
)
def test_bad_names_are_a_400_naming_the_field(api_client, organizer, org_plugins, body):
    response = api_client.patch(URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["plugins"]
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == frozenset()


@pytest.mark.django_db
def test_writing_needs_the_settings_permission(api_client_with_permissions, organizer, org_plugins):
    client = api_client_with_permissions("organizer.events:create")
    assert client.get(URL).status_code == 200
    assert client.patch(URL, {"plugins": ["fake_contacts"]}, format="json").status_code == 403
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == frozenset()


@pytest.mark.django_db
def test_another_organizers_token_gets_404(
    client_with_token, token_for, organizer, other_organizer, org_plugins
):
    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=["fake_contacts"])
    with scope(organizer=other_organizer):
        team = other_organizer.teams.get(name="Administrators")
    client = client_with_token(token_for(team))
    assert client.get(URL).status_code == 404
    assert client.patch(URL, {"plugins": []}, format="json").status_code == 404
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == {"fake_contacts"}
    assert client.get("/api/v1/organizers/other/plugins/").json() == {"plugins": []}


@pytest.mark.django_db
def test_the_schema_documents_the_endpoint(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/organizers/{organizer}/plugins/"]
    assert {"get", "put", "patch"} <= set(operations)
    assert "OrganizerPlugins" in schema["components"]["schemas"]


@pytest.mark.django_db
def test_a_restricted_plugin_needs_an_administrator(api_client, organizer, monkeypatch):
    monkeypatch.setitem(
        registry.plugins, "fake_vip", fake_plugin("fake_vip", level="organizer", restricted=True)
    )
    clear_caches()
    response = api_client.patch(URL, {"plugins": ["fake_vip"]}, format="json")
    assert response.status_code == 400
    assert "administrator" in response.json()["plugins"][0]
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == set()
        organizer_plugins_update(organizer=organizer, enable=["fake_vip"], is_admin=True)
    # Once an administrator switched it on, the organizer keeps it when saving its list.
    assert api_client.patch(URL, {"plugins": ["fake_vip"]}, format="json").status_code == 200
    clear_caches()
