import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, LogEntry, Setting
from eventyay.base.services.events import event_clone, event_create, event_delete, event_update
from eventyay.base.services.log import log_action

START = dt.datetime(2031, 5, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_create_writes_the_event_and_an_audit_entry(organizer, user):
    with scope(organizer=organizer):
        event = event_create(
            organizer=organizer, data={"name": {"en": "Camp"}, "slug": "camp", "date_from": START}, actor=user
        )
        entry = LogEntry.objects.get(action_type="eventyay.event.created")
    assert event.pk
    assert entry.user == user
    assert entry.data["after"]["slug"] == "camp"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "control"}, "slug"),
        ({"slug": "api"}, "slug"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"date_to": START - dt.timedelta(days=1)}, "date_to"),
        ({"locales": ["xx"]}, "locales"),
    ],
)
def test_create_refuses_bad_input_naming_the_field_and_writes_nothing(organizer, data, field):
    payload = {"name": {"en": "Camp"}, "slug": "camp", "date_from": START, **data}
    with scope(organizer=organizer):
        with pytest.raises(ValidationError) as excinfo:
            event_create(organizer=organizer, data=payload)
        assert field in excinfo.value.message_dict
        assert not Event.objects.exists()
        assert not LogEntry.objects.filter(action_type="eventyay.event.created").exists()


@pytest.mark.django_db
def test_slug_must_be_unique_per_organizer_but_not_across(organizer, other_organizer):
    with scope(organizer=organizer):
        event_create(organizer=organizer, data={"name": {"en": "A"}, "slug": "otherconf", "date_from": START})
        with pytest.raises(ValidationError) as excinfo:
            event_create(
                organizer=organizer, data={"name": {"en": "B"}, "slug": "otherconf", "date_from": START}
            )
    assert "slug" in excinfo.value.message_dict


@pytest.mark.django_db
def test_update_logs_only_changed_fields(event, user):
    with scope(organizer=event.organizer):
        event_update(event=event, data={"currency": "USD", "live": True}, actor=user)
        entry = LogEntry.objects.get(action_type="eventyay.event.changed")
    assert entry.data == {"before": {"currency": "EUR"}, "after": {"currency": "USD"}}


@pytest.mark.django_db
def test_clone_copies_configuration_and_is_not_live(event):
    with scope(organizer=event.organizer):
        event.settings.set("contact_email", "hello@example.org")
        copy = event_clone(source=event, data={"slug": "conf-2031", "date_from": START})
        assert copy.live is False
        assert copy.settings.get("contact_email") == "hello@example.org"
        assert Setting.objects.filter(event=copy).count() == 1


@pytest.mark.django_db
def test_delete_works_for_an_empty_event_and_refuses_one_with_data(make_event):
    empty = make_event(slug="empty")
    used = make_event(slug="used")
    with scope(organizer=used.organizer):
        log_action(action="eventyay_tickets.order.placed", organizer=used.organizer, event=used)
        event_delete(event=empty)
        with pytest.raises(ValidationError):
            event_delete(event=used)
    with scopes_disabled():
        assert list(Event.objects.values_list("slug", flat=True)) == ["used"]


@pytest.mark.django_db
def test_clone_with_a_new_start_keeps_the_duration(event):
    with scope(organizer=event.organizer):
        copy = event_clone(source=event, data={"slug": "later", "date_from": START})
    assert copy.date_to - copy.date_from == event.date_to - event.date_from
