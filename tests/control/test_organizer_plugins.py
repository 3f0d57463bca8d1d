"""The organizer's plugin page: plugins of level organizer switched on for all its events."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope

from eventyay.base.models import Event
from eventyay.base.plugins import hooks_for
from eventyay.base.plugins.manager import PluginInfo, clear_caches, registry
from eventyay.base.services.organizer_plugins import organizer_plugin_names, organizer_plugins_update
from eventyay.testing.plugin import register_temporarily
from tests.control.conftest import fake_plugin

PAGE = "/control/organizer/example/plugins/"
EVENT_PLUGINS = "/control/event/example/conf/plugins/"


@pytest.fixture
def org_plugins(monkeypatch: pytest.MonkeyPatch) -> dict[str, PluginInfo]:
    """Two plugins of level organizer (one of them answers a hook) and one of level event."""
    plugins = {
        "fake_contacts": fake_plugin("fake_contacts", level="organizer", description="Keeps contacts."),
        "fake_mailing": fake_plugin("fake_mailing", level="organizer", version="4.5.6"),
        "fake_event_only": fake_plugin("fake_event_only"),
    }
    for name, info in plugins.items():
        monkeypatch.setitem(registry.plugins, name, info)
    clear_caches()
    with register_temporarily(
        "fake_contacts", event_public_sections=lambda event, request: [f"contacts on {event.slug}"]
    ):
        yield plugins
    clear_caches()


def _sections(event: Event) -> list[Any]:
    with scope(organizer=event.organizer):
        fresh = Event.objects.select_related("organizer").get(pk=event.pk)
        return hooks_for(fresh).event_public_sections(event=fresh, request=None)


@pytest.mark.django_db
def test_page_lists_organizer_level_plugins_with_their_metadata(
    client_for, user, organizer, org_plugins, django_assert_max_num_queries
):
    client = client_for(user)
    client.get(PAGE)  # sessions and permissions warmed up
    with django_assert_max_num_queries(12):
        response = client.get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fake Contacts" in page and "Keeps contacts." in page
    assert "Fake Mailing" in page and "Version 4.5.6" in page
    assert "Fake Event Only" not in page
    assert 'name="plugins" value="fake_contacts"' in page
    assert 'href="/control/organizer/example/plugins/"' in page, "the navigation links the page"


@pytest.mark.django_db
def test_switching_on_makes_the_plugin_enabled_on_every_event_and_off_again(
    client_for, user, organizer, make_event, org_plugins
):
    event = make_event(slug="conf")
    assert ["contacts on conf"] not in _sections(event)
    client = client_for(user)

    response = client.post(PAGE, {"plugins": ["fake_contacts"]}, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Switched on: Fake Contacts." in response.content.decode()
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == {"fake_contacts"}
    assert ["contacts on conf"] in _sections(event)
    assert 'value="fake_contacts" id="id_plugins_fake_contacts" checked' in response.content.decode()

    response = client.post(PAGE, {}, follow=True)
    assert "Switched off: Fake Contacts." in response.content.decode()
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == frozenset()
    assert ["contacts on conf"] not in _sections(event)


@pytest.mark.django_db
def test_event_level_or_unknown_plugin_is_refused_with_a_form_error(client_for, user, organizer, org_plugins):
    client = client_for(user)
    for name in ("fake_event_only", "nonexistent"):
        response = client.post(PAGE, {"plugins": ["fake_contacts", name]})
        assert response.status_code == 400
        assert 'id="plugins-error"' in response.content.decode()
        assert name in response.context["form"].errors["plugins"][0]
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == frozenset()


@pytest.mark.django_db
def test_member_without_the_settings_permission_gets_403(client_for, weak_user, organizer, org_plugins):
    client = client_for(weak_user)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"plugins": ["fake_contacts"]}).status_code == 403
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == frozenset()


@pytest.mark.django_db
def test_member_of_another_organizer_gets_404(client_for, organizer, other_organizer, org_plugins):
    client = client_for(other_organizer.member)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"plugins": ["fake_contacts"]}).status_code == 404
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == frozenset()
    assert client.get("/control/organizer/other/plugins/").status_code == 200


@pytest.mark.django_db
def test_event_page_shows_it_on_for_the_organizer_and_not_switchable(
    client_for, user, organizer, make_event, org_plugins
):
    make_event(slug="conf")
    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=["fake_contacts"])
    client = client_for(user)
    page = client.get(EVENT_PLUGINS).content.decode()
    block = page[page.index('id="plugin-fake_contacts"') :]
    block = block[: block.index('id="plugin-', 10)]
    assert "on for the whole organizer" in block
    assert 'href="/control/organizer/example/plugins/"' in block
    assert 'name="action"' not in block
    other = page[page.index('id="plugin-fake_mailing"') :]
    assert 'value="enable"' in other[: other.index("</form>")], (
        "an organizer plugin that is off stays switchable"
    )

    response = client.post(EVENT_PLUGINS + "toggle/", {"plugin": "fake_contacts", "action": "disable"})
    assert response.status_code == 400
    assert "on for the whole organizer" in response.content.decode()
    with scope(organizer=organizer):
        assert organizer_plugin_names(organizer) == {"fake_contacts"}
