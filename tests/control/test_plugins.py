"""The event's plugin page: grouped list, switching on and off, refusals, settings forms."""

from __future__ import annotations

import pytest
from django import forms
from django_scopes import scope, scopes_disabled

from eventyay.base.models import EventPlugin, LogEntry, User
from eventyay.base.plugins.records import NavItem
from eventyay.base.services import plugins as plugin_services
from eventyay.testing.plugin import register_temporarily

PLUGINS = "/control/event/example/conf/plugins/"
TOGGLE = PLUGINS + "toggle/"


class FakeSettingsForm(forms.Form):
    greeting = forms.CharField(label="Greeting", max_length=50)
    shout = forms.BooleanField(label="Shout", required=False)

    def __init__(self, *args, event=None, **kwargs):
        self.event = event
        super().__init__(*args, **kwargs)


@pytest.fixture
def settings_form(monkeypatch):
    monkeypatch.setattr(
        plugin_services,
        "plugin_settings_form_class",
        lambda name: FakeSettingsForm if name == "fake_feature" else None,
    )


@pytest.mark.django_db
def test_plugins_are_listed_by_category_with_their_metadata(client_for, user, event, fake_plugins):
    page = client_for(user).get(PLUGINS).content.decode()
    assert (
        page.index("Features")
        < page.index("Fake Feature")
        < page.index("Integrations")
        < page.index("Fake Addon")
    )
    assert "What fake_addon does." in page
    assert "Version 1.2.3" in page and "Plugin Author" in page
    assert "Requires: Fake Feature" in page
    assert "Fake Hidden" not in page
    assert "Fake Restricted" not in page


@pytest.mark.django_db
def test_switching_on_pulls_in_requirements_and_logs(client_for, user, organizer, event, fake_plugins):
    response = client_for(user).post(TOGGLE, {"plugin": "fake_addon", "action": "enable"})
    assert response.status_code == 302
    with scope(organizer=organizer):
        event.refresh_plugins()
        assert event.enabled_plugin_names == {"fake_addon", "fake_feature"}
        assert LogEntry.objects.filter(event=event, action_type="eventyay.event.plugin.enabled").count() == 2


@pytest.mark.django_db
def test_refusal_is_shown_next_to_the_plugin(client_for, user, organizer, make_event, fake_plugins):
    make_event(slug="conf", plugins=["fake_addon"])
    response = client_for(user).post(TOGGLE, {"plugin": "fake_feature", "action": "disable"})
    assert response.status_code == 400
    page = response.content.decode()
    block = page[page.index('id="plugin-fake_feature"') :]
    assert "cannot be disabled because" in block[: block.index('id="plugin-fake_addon"')]
    with scopes_disabled():
        assert EventPlugin.objects.get(name="fake_feature").enabled


@pytest.mark.django_db
def test_restricted_plugins_only_for_superusers(client_for, user, organizer, event, fake_plugins):
    response = client_for(user).post(TOGGLE, {"plugin": "fake_restricted", "action": "enable"})
    assert response.status_code == 400
    assert "administrator" in response.content.decode()
    admin = User.objects.create_superuser("root@example.org", "a long admin password")
    client = client_for(admin)
    assert "Fake Restricted" in client.get(PLUGINS).content.decode()
    assert client.post(TOGGLE, {"plugin": "fake_restricted", "action": "enable"}).status_code == 302


@pytest.mark.django_db
def test_broken_plugins_are_listed_for_superusers_only(client_for, user, event, monkeypatch):
    from eventyay.base.plugins.discovery import BrokenPlugin
    from eventyay.control.views import plugins as plugin_views

    broken = [BrokenPlugin(name="shattered", module="eventyay_shattered", error="ImportError: nope")]
    monkeypatch.setattr(plugin_views, "broken_plugins", lambda: broken)
    assert "shattered" not in client_for(user).get(PLUGINS).content.decode()
    admin = User.objects.create_superuser("root@example.org", "a long admin password")
    page = client_for(admin).get(PLUGINS).content.decode()
    assert "shattered" in page and "ImportError: nope" in page


@pytest.mark.django_db
def test_plugin_settings_form_renders_validates_and_saves(
    client_for, user, organizer, make_event, fake_plugins, settings_form
):
    make_event(slug="conf", plugins=["fake_feature"])
    client = client_for(user)
    url = "/control/event/example/conf/plugins/fake_feature/settings/"
    assert url in client.get(PLUGINS).content.decode()
    assert 'name="greeting"' in client.get(url).content.decode()
    invalid = client.post(url, {"greeting": ""})
    assert invalid.status_code == 200
    assert 'class="invalid-feedback' in invalid.content.decode()
    assert client.post(url, {"greeting": "Hello", "shout": "on"}).status_code == 302
    assert client.post(url, {"greeting": "Hi"}).status_code == 302
    with scope(organizer=organizer):
        state = EventPlugin.objects.get(name="fake_feature")
    assert state.settings == {"greeting": "Hi", "shout": False}


@pytest.mark.django_db
def test_settings_of_a_plugin_that_is_off_are_404(client_for, user, event, fake_plugins, settings_form):
    assert client_for(user).get(PLUGINS + "fake_feature/settings/").status_code == 404
    assert client_for(user).get(PLUGINS + "fake_addon/settings/").status_code == 404


@pytest.mark.django_db
def test_event_nav_includes_entries_of_enabled_plugins_only(
    client_for, user, organizer, make_event, fake_plugins
):
    make_event(slug="conf", plugins=["fake_feature"])
    make_event(slug="bare")
    item = NavItem(label="Fake page", url="/control/event/example/conf/fake/")
    with register_temporarily("fake_feature", control_nav_event=lambda event, request: [item]):
        client = client_for(user)
        assert "Fake page" in client.get("/control/event/example/conf/").content.decode()
        assert "Fake page" not in client.get("/control/event/example/bare/").content.decode()


@pytest.mark.django_db
def test_organizer_nav_includes_hook_entries(client_for, user, organizer):
    item = NavItem(label="Org reports", url="/control/organizer/example/reports/")
    with register_temporarily("eventyay", control_nav_organizer=lambda organizer, request: [item]):
        assert "Org reports" in client_for(user).get("/control/organizer/example/").content.decode()
