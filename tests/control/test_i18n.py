"""The control panel speaks German when asked to."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_login_page_in_german_by_browser_language(client):
    page = client.get("/control/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in page
    assert "Anmelden" in page
    assert "Passwort vergessen?" in page


@pytest.mark.django_db
def test_choosing_german_in_the_settings_switches_the_control_panel(client_for, user, organizer):
    client = client_for(user)
    assert "Your events" in client.get("/control/").content.decode()
    client.post("/control/user/settings/", {"fullname": "", "locale": "de", "timezone": "UTC"})
    page = client.get("/control/").content.decode()
    assert "Ihre Veranstaltungen" in page
    assert "Abmelden" in page


@pytest.mark.django_db
def test_event_form_labels_are_translated(client_for, user, organizer):
    page = (
        client_for(user)
        .get("/control/organizer/example/events/add/", HTTP_ACCEPT_LANGUAGE="de")
        .content.decode()
    )
    assert "Veranstaltung anlegen" in page
    assert "Zeitzone" in page and "Standardsprache" in page


@pytest.mark.django_db
def test_team_page_and_guard_speak_german(client_for, user, admin_team):
    client = client_for(user)
    client.post("/control/user/settings/", {"fullname": "", "locale": "de", "timezone": "UTC"})
    client.post(
        f"/control/organizer/example/teams/{admin_team.pk}/invite/", {"invite-email": "neu@example.org"}
    )
    page = client.get(f"/control/organizer/example/teams/{admin_team.pk}/").content.decode()
    assert "Zurückziehen" in page
    response = client.post(
        f"/control/organizer/example/teams/{admin_team.pk}/members/{user.pk}/remove/", follow=True
    )
    assert "niemand mehr die Teams des Veranstalters verwalten" in response.content.decode()


@pytest.mark.django_db
def test_plugin_names_and_descriptions_are_shown_in_the_visitors_language(
    client_for, user, admin_team, event
):
    from eventyay.base.plugins import installed_plugins

    talk = installed_plugins()["talk"]
    client = client_for(user)
    url = f"/control/event/example/{event.slug}/plugins/"
    english = client.get(url).content.decode()
    assert talk.verbose_name in english
    german = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Vorträge und Programm" in german and talk.verbose_name not in german
    # The registry keeps the English text for the command line and the API.
    assert talk.as_dict()["verbose_name"] == "Talks and schedule"


def test_words_with_two_meanings_have_a_context_each():
    """Django merges every catalog into one: a shared English word gets one German text unless
    its meanings carry contexts (a contact's state is a Bundesland, an order's a Status)."""
    from django.utils import translation
    from django.utils.translation import gettext, pgettext

    with translation.override("de"):
        assert pgettext("address", "State") == "Bundesland"
        assert gettext("State") == "Status"
        assert pgettext("noun", "Review") == "Bewertung"
        assert pgettext("verb", "Schedule") == "Planen"
