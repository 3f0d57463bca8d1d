"""Creating events (with plugins), their settings, cloning and deleting."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, LogEntry, User

ORG = "/control/organizer/example/"
EVENT = "/control/event/example/conf/"


def event_post(**overrides):
    data = {
        "name_0": "Summer Conference",
        "name_1": "Sommerkonferenz",
        "slug": "summer",
        "description_0": "All about summer.",
        "description_1": "",
        "date_from": "2031-07-01T10:00",
        "date_to": "2031-07-03T18:00",
        "timezone": "Europe/Berlin",
        "locale": "en",
        "locales": ["en", "de"],
        "currency": "eur",
        "is_public": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_create_an_event_with_translated_name_in_its_time_zone(client_for, user, organizer):
    response = client_for(user).post(ORG + "events/add/", event_post())
    assert response.status_code == 302
    assert response["Location"] == "/control/event/example/summer/"
    with scope(organizer=organizer):
        event = Event.objects.get(slug="summer")
    assert event.name.data == {"en": "Summer Conference", "de": "Sommerkonferenz"}
    assert event.date_from == dt.datetime(2031, 7, 1, 8, 0, tzinfo=dt.UTC)
    assert event.currency == "EUR"
    assert event.locales == ["en", "de"]
    assert event.is_public and not event.live
    with scopes_disabled():
        assert LogEntry.objects.filter(event=event, action_type="eventyay.event.created", user=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "control"),
        ("slug", "Not A Slug"),
        ("slug", "conf"),
        ("date_to", "2031-06-01T10:00"),
        ("currency", "euro"),
        ("timezone", "Mars/Olympus"),
        ("name_0", ""),
        ("locale", "fr"),
    ],
)
def test_invalid_event_input_shows_field_errors_and_creates_nothing(
    client_for, user, organizer, event, field, value
):
    post = event_post(**{field: value})
    if field == "name_0":
        post["name_1"] = ""
    response = client_for(user).post(ORG + "events/add/", post)
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.content.decode()
    with scope(organizer=organizer):
        assert list(Event.objects.values_list("slug", flat=True)) == ["conf"]


@pytest.mark.django_db
def test_create_form_offers_visible_plugins_and_checks_features(client_for, user, organizer, fake_plugins):
    page = client_for(user).get(ORG + "events/add/").content.decode()
    assert 'value="fake_feature" ' in page and 'value="fake_addon"' in page
    assert "fake_restricted" not in page
    assert "fake_hidden" not in page
    feature = page[page.index('value="fake_feature"') :]
    assert "checked" in feature[: feature.index(">")]
    addon = page[page.index('value="fake_addon"') :]
    assert "checked" not in addon[: addon.index(">")]


@pytest.mark.django_db
def test_superusers_may_choose_restricted_plugins(client_for, organizer, fake_plugins):
    admin = User.objects.create_superuser("root@example.org", "a long admin password")
    client = client_for(admin)
    assert 'value="fake_restricted"' in client.get(ORG + "events/add/").content.decode()
    response = client.post(ORG + "events/add/", event_post(plugins=["fake_restricted"]))
    assert response.status_code == 302
    with scope(organizer=organizer):
        assert Event.objects.get(slug="summer").enabled_plugin_names == {"fake_restricted"}


@pytest.mark.django_db
def test_creating_with_a_plugin_enables_what_it_requires(client_for, user, organizer, fake_plugins):
    response = client_for(user).post(ORG + "events/add/", event_post(plugins=["fake_addon"]))
    assert response.status_code == 302
    with scope(organizer=organizer):
        assert Event.objects.get(slug="summer").enabled_plugin_names == {"fake_addon", "fake_feature"}


@pytest.mark.django_db
def test_restricted_plugin_is_refused_for_ordinary_users(client_for, user, organizer, fake_plugins):
    response = client_for(user).post(ORG + "events/add/", event_post(plugins=["fake_restricted"]))
    assert response.status_code == 200
    with scope(organizer=organizer):
        assert not Event.objects.filter(slug="summer").exists()


@pytest.mark.django_db
def test_event_settings_show_the_events_languages_and_save_changes(client_for, user, organizer, make_event):
    make_event(slug="conf", locales=["en", "de"], timezone="Europe/Berlin")
    client = client_for(user)
    page = client.get(EVENT + "settings/").content.decode()
    assert 'name="name_0"' in page and 'name="name_1"' in page
    assert 'value="2030-06-01T11:00"' in page  # 09:00 UTC shown in Berlin time
    response = client.post(
        EVENT + "settings/",
        event_post(slug="conf", name_0="Renamed", name_1="Umbenannt", live="on", timezone="UTC"),
    )
    assert response.status_code == 302
    with scope(organizer=organizer):
        event = Event.objects.get(slug="conf")
        assert str(event.name) == "Renamed"
        assert event.live
        assert event.date_from == dt.datetime(2031, 7, 1, 10, 0, tzinfo=dt.UTC)
        entry = LogEntry.objects.filter(event=event, action_type="eventyay.event.changed").get()
    assert entry.data["before"]["name"]["en"] == "Conference conf"
    assert entry.data["after"]["name"]["en"] == "Renamed"


@pytest.mark.django_db
def test_event_settings_refuse_a_taken_slug(client_for, user, organizer, event, make_event):
    make_event(slug="other")
    response = client_for(user).post(EVENT + "settings/", event_post(slug="other", locales=["en"]))
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    with scope(organizer=organizer):
        assert Event.objects.filter(slug="conf").exists()


@pytest.mark.django_db
def test_clone_an_event(client_for, user, organizer, event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            EVENT + "clone/",
            {"name_0": "Conference again", "slug": "conf-2", "date_from": "2031-06-01T09:00"},
        )
    assert response.status_code == 302
    assert response["Location"].startswith(EVENT + "jobs/")
    with scope(organizer=organizer):
        clone = Event.objects.get(slug="conf-2")
    assert str(clone.name) == "Conference again"
    assert not clone.live


@pytest.mark.django_db
def test_delete_an_event_without_data(client_for, user, organizer, event):
    client = client_for(user)
    assert "cannot be deleted" not in client.get(EVENT + "delete/").content.decode()
    assert client.post(EVENT + "delete/")["Location"] == ORG
    with scope(organizer=organizer):
        assert not Event.objects.filter(slug="conf").exists()


@pytest.mark.django_db
def test_an_event_with_data_cannot_be_deleted(client_for, user, organizer, event):
    from eventyay.base.services.log import log_action

    with scope(organizer=organizer):
        log_action(action="eventyay_tickets.order.placed", organizer=organizer, event=event)
    client = client_for(user)
    assert "cannot be deleted" in client.get(EVENT + "delete/").content.decode()
    assert client.post(EVENT + "delete/").status_code == 200
    with scope(organizer=organizer):
        assert Event.objects.filter(slug="conf").exists()


@pytest.mark.django_db
def test_dashboard_lists_only_what_the_user_may_see(client_for, user, event, other_organizer):
    page = client_for(user).get("/control/").content.decode()
    assert "Conference conf" in page and "Example Org" in page
    assert "Other Conference" not in page and "Other Org" not in page


@pytest.mark.django_db
def test_event_dashboard_shows_times_in_the_events_time_zone(client_for, user, organizer, make_event):
    make_event(slug="conf", timezone="Europe/Berlin")
    page = client_for(user).get(EVENT).content.decode()
    assert "11 a.m. (Europe/Berlin)" in page


def test_each_language_input_of_a_translated_field_is_named_for_assistive_technology(client_for, user, event):
    with scope(organizer=event.organizer):
        event.locales = ["en", "de"]
        event.save()
    body = client_for(user).get(EVENT + "settings/").content.decode()
    assert 'aria-label="Name (English)"' in body
    assert 'aria-label="Name (German)"' in body
    assert 'aria-label="Description (German)"' in body
