"""Creating organizers and changing their settings."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled

from eventyay.base.models import LogEntry, Organizer, User


@pytest.mark.django_db
def test_a_user_creates_an_organizer_and_administers_it(client_for, user, settings):
    settings.ALLOW_ORGANIZER_CREATION = True
    client = client_for(user)
    response = client.post("/control/organizers/add/", {"name": "Fresh Org", "slug": "fresh"})
    assert response.status_code == 302
    assert response["Location"] == "/control/organizer/fresh/"
    assert client.get("/control/organizer/fresh/teams/").status_code == 200


@pytest.mark.django_db
def test_only_superusers_create_organizers_when_the_instance_says_so(client_for, user, settings):
    settings.ALLOW_ORGANIZER_CREATION = False
    assert client_for(user).get("/control/organizers/add/").status_code == 403
    admin = User.objects.create_superuser("root@example.org", "a long admin password")
    assert (
        client_for(admin).post("/control/organizers/add/", {"name": "Root Org", "slug": "root"}).status_code
        == 302
    )
    assert Organizer.objects.filter(slug="root").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["control", "api", "Upper", "with space", "example"])
def test_bad_or_taken_organizer_slugs_are_refused(client_for, user, organizer, slug):
    response = client_for(user).post("/control/organizers/add/", {"name": "Org", "slug": slug})
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.content.decode()
    assert Organizer.objects.count() == 1


@pytest.mark.django_db
def test_organizer_settings_change_fields_and_the_settings_store(client_for, user, organizer):
    response = client_for(user).post(
        "/control/organizer/example/settings/",
        {
            "name": "Renamed Org",
            "require_2fa": "",
            "contact_email": "hello@example.org",
            "imprint_url": "https://example.org/imprint",
            "mail_from_name": "Example Team",
            "show_on_organizer_page": "on",
        },
    )
    assert response.status_code == 302
    organizer.refresh_from_db()
    assert organizer.name == "Renamed Org"
    assert organizer.settings.get("contact_email") == "hello@example.org"
    with scopes_disabled():
        entry = LogEntry.objects.get(action_type="eventyay.organizer.changed")
    assert entry.data["before"]["name"] == "Example Org"
    assert entry.data["after"]["contact_email"] == "hello@example.org"
    assert entry.user == user


@pytest.mark.django_db
def test_invalid_organizer_settings_change_nothing(client_for, user, organizer):
    response = client_for(user).post(
        "/control/organizer/example/settings/", {"name": "Renamed", "contact_email": "not an address"}
    )
    assert response.status_code == 200
    organizer.refresh_from_db()
    assert organizer.name == "Example Org"
    assert organizer.settings.get("contact_email") == ""


@pytest.mark.django_db
def test_help_texts_are_announced_with_their_field(client_for, user):
    page = client_for(user).get("/control/organizers/add/").content.decode()
    assert "form-text" in page
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert described, "a field with help text should point at it"
    for target in described:
        assert f'id="{target}"' in page, target
