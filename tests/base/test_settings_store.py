import pytest
from django_scopes import scope

from eventyay.base.models import Event


@pytest.mark.django_db
def test_event_settings_fall_back_to_organizer_then_default(event):
    organizer = event.organizer
    assert event.settings.get("contact_email") == ""
    organizer.settings.set("contact_email", "org@example.org")
    with scope(organizer=organizer):
        fresh = Event.objects.get(pk=event.pk)
    assert fresh.settings.get("contact_email") == "org@example.org"
    fresh.settings.set("contact_email", "event@example.org")
    assert fresh.settings.get("contact_email") == "event@example.org"
    assert organizer.settings.get("contact_email") == "org@example.org"


@pytest.mark.django_db
def test_settings_are_read_with_one_query(event, django_assert_num_queries):
    event.settings.set("imprint_url", "https://example.org/imprint")
    with scope(organizer=event.organizer):
        fresh = Event.objects.select_related("organizer").get(pk=event.pk)
    with django_assert_num_queries(1):
        assert fresh.settings.get("imprint_url") == "https://example.org/imprint"
        assert fresh.settings.get("contact_email") == ""
        assert fresh.settings.show_on_organizer_page is True
