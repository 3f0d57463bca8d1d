from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_scopes import scope
from eventyay_campaigns import hooks
from eventyay_campaigns.models import Contact, ContactEvent, CustomFieldDefinition
from eventyay_campaigns.services import contacts as contact_services

from eventyay.base.plugins import notify
from eventyay.base.services.events import event_create

from .conftest import fake_order, switched_off

pytestmark = pytest.mark.django_db


def test_email_unique_per_organizer_in_any_case(
    organizer: Any, other_organizer: Any, make_contact: Any
) -> None:
    make_contact("Ann@Example.org")
    with scope(organizer=organizer), pytest.raises(ValidationError) as info:
        contact_services.contact_save(organizer=organizer, data={"email": "ann@example.ORG"})
    assert "email" in info.value.message_dict
    with scope(organizer=organizer), pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(organizer=organizer, email="ANN@example.org")
    with scope(organizer=other_organizer):
        contact_services.contact_save(organizer=other_organizer, data={"email": "ann@example.org"})


def test_custom_fields_typed(organizer: Any, make_contact: Any) -> None:
    with scope(organizer=organizer):
        CustomFieldDefinition.objects.create(
            organizer=organizer, key="size", label="Size", type="choice", choices=["S", "M"]
        )
        CustomFieldDefinition.objects.create(organizer=organizer, key="age", label="Age", type="number")
        CustomFieldDefinition.objects.create(organizer=organizer, key="vip", label="VIP", type="bool")
        CustomFieldDefinition.objects.create(organizer=organizer, key="since", label="Since", type="date")
    contact = make_contact(
        "a@example.org", custom_fields={"size": "M", "age": "42", "vip": "yes", "since": "2024-02-01"}
    )
    assert contact.custom_fields == {"size": "M", "age": 42, "vip": True, "since": "2024-02-01"}
    for values, key in (
        ({"size": "XL"}, "custom_fields.size"),
        ({"age": "old"}, "custom_fields.age"),
        ({"vip": "maybe"}, "custom_fields.vip"),
        ({"since": "1.2.2024"}, "custom_fields.since"),
        ({"unknown": "x"}, "custom_fields.unknown"),
    ):
        with scope(organizer=organizer), pytest.raises(ValidationError) as info:
            contact_services.contact_save(
                organizer=organizer, contact=contact, data={"custom_fields": values}
            )
        assert key in info.value.message_dict


def test_consent_change_records_source_and_time(organizer: Any, make_contact: Any) -> None:
    contact = make_contact("a@example.org")
    assert contact.consent_at is None
    with scope(organizer=organizer):
        contact = contact_services.contact_save(
            organizer=organizer, contact=contact, data={"marketing_consent": True}, consent_source="api"
        )
    assert contact.marketing_consent and contact.consent_source == "api" and contact.consent_at is not None


def test_orders_fill_contacts_and_history_idempotently(organizer: Any, crm_event: Any) -> None:
    order = fake_order("ABC12", "Buyer@example.org", ("guest@example.org", "Gina Guest", 7), ("", "", 8))
    for _replay in range(2):
        notify("order_placed", enabled=crm_event.enabled_plugin_names, event=crm_event, order=order)
    with scope(organizer=organizer):
        buyer = Contact.objects.get(email_key="buyer@example.org")
        guest = Contact.objects.get(email_key="guest@example.org")
        assert (guest.first_name, guest.last_name) == ("Gina", "Guest")
        assert (buyer.events_registered, buyer.events_attended) == (1, 0)
        assert set(buyer.products.values_list("product_id", flat=True)) == {8}
        assert set(guest.products.values_list("product_id", flat=True)) == {7}
    order.status = "paid"
    for _replay in range(2):
        notify("order_paid", enabled=crm_event.enabled_plugin_names, event=crm_event, order=order)
    # A second order for the same event does not count the event twice.
    notify(
        "order_paid",
        enabled=crm_event.enabled_plugin_names,
        event=crm_event,
        order=fake_order("XYZ99", "buyer@example.org", ("", "", 8), status="paid"),
    )
    with scope(organizer=organizer):
        buyer.refresh_from_db()
        assert (buyer.events_registered, buyer.events_attended) == (1, 1)
        assert ContactEvent.objects.filter(contact=buyer).count() == 4
    notify("order_canceled", enabled=crm_event.enabled_plugin_names, event=crm_event, order=order)
    with scope(organizer=organizer):
        buyer.refresh_from_db()
        guest.refresh_from_db()
        assert (buyer.events_registered, buyer.events_attended) == (1, 1)
        assert (guest.events_registered, guest.events_attended) == (0, 0)


def test_notifications_of_events_without_the_plugin_are_ignored(organizer: Any, make_event: Any) -> None:
    switched_off(organizer)
    event = make_event(slug="plain")
    notify(
        "order_placed",
        enabled=event.enabled_plugin_names,
        event=event,
        order=fake_order("A1", "x@example.org"),
    )
    with scope(organizer=organizer):
        assert not Contact.objects.exists()


def test_talks_given_follow_submission_state(organizer: Any, crm_event: Any, user: Any) -> None:
    class Speakers:
        def all(self) -> list[Any]:
            return [user]

    class Submission:
        code = "TALK1"
        event = crm_event
        speakers = Speakers()

    for _replay in range(2):
        hooks.submission_state_changed(submission=Submission(), old_state="submitted", new_state="accepted")
    hooks.submission_state_changed(submission=Submission(), old_state="accepted", new_state="confirmed")
    with scope(organizer=organizer):
        contact = Contact.objects.get(email_key=user.email)
        assert contact.talks_given == 1 and contact.first_name == "Team"
    hooks.submission_state_changed(submission=Submission(), old_state="confirmed", new_state="withdrawn")
    with scope(organizer=organizer):
        contact.refresh_from_db()
        assert contact.talks_given == 0


def test_hosts_backfill(organizer: Any, crm_event: Any, user: Any) -> None:
    with scope(organizer=organizer):
        second = event_create(
            organizer=organizer,
            data={"name": {"en": "Two"}, "slug": "two", "date_from": crm_event.date_from},
            is_admin=True,
        )
        assert contact_services.hosts_backfill(organizer=organizer) == 2
        assert contact_services.hosts_backfill(organizer=organizer) == 0
        contact = Contact.objects.get(email_key=user.email)
        assert contact.events_hosted == 2
        assert second.pk in set(contact.history.values_list("event_id", flat=True))


def test_a_deleted_event_leaves_the_counters_of_its_contacts(
    organizer: Any, crm_event: Any, make_event: Any, make_contact: Any
) -> None:
    from django_scopes import scopes_disabled

    other = make_event(slug="other", plugins=["campaigns"])
    ann = make_contact("ann@example.org")
    bob = make_contact("bob@example.org")
    with scope(organizer=organizer):
        for contact, event, kind, source in [
            (ann, crm_event, "attended", "order:A"),
            (ann, crm_event, "attended", "order:B"),  # two orders, one event attended
            (ann, crm_event, "registered", "order:A"),
            (ann, crm_event, "hosted", "team:1"),
            (ann, crm_event, "spoke", "submission:X"),
            (ann, crm_event, "spoke", "submission:Y"),
            (ann, other, "attended", "order:C"),
            (ann, other, "spoke", "submission:Z"),
            (bob, other, "hosted", "team:2"),
        ]:
            contact_services.history_record(contact=contact, event=event, kind=kind, source=source)
        ann.refresh_from_db()
        assert (ann.events_attended, ann.events_registered, ann.events_hosted, ann.talks_given) == (
            2,
            1,
            1,
            3,
        )
    with scopes_disabled():
        crm_event.delete()
    with scope(organizer=organizer):
        ann.refresh_from_db()
        bob.refresh_from_db()
        assert (ann.events_attended, ann.events_registered, ann.events_hosted, ann.talks_given) == (
            1,
            0,
            0,
            1,
        )
        assert (bob.events_attended, bob.events_hosted) == (0, 1), "another event's contacts are untouched"
        assert set(ann.history.values_list("event_id", flat=True)) == {other.pk}


def test_merge_combines_history_and_counters(
    organizer: Any, crm_event: Any, make_event: Any, make_contact: Any
) -> None:
    other = make_event(slug="other", plugins=["campaigns"])
    target = make_contact("ann@example.org", tags=["vip"])
    duplicate = make_contact("ann.work@example.org", company="TechCorp", tags=["speaker"])
    with scope(organizer=organizer):
        contact_services.history_record(contact=target, event=crm_event, kind="attended", source="order:A")
        contact_services.history_record(contact=duplicate, event=crm_event, kind="attended", source="order:B")
        contact_services.history_record(contact=duplicate, event=other, kind="attended", source="order:C")
        merged = contact_services.contacts_merge(target=target, duplicate=duplicate)
        assert merged.events_attended == 2 and merged.company == "TechCorp"
        assert sorted(merged.tags.values_list("name", flat=True)) == ["speaker", "vip"]
        assert not Contact.objects.filter(pk=duplicate.pk).exists()
        with pytest.raises(ValidationError):
            contact_services.contacts_merge(target=merged, duplicate=merged)


def test_export_and_erase(
    organizer: Any, crm_event: Any, make_contact: Any, django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact("ann@example.org", first_name="Ann", tags=["vip"], marketing_consent=True)
    calls: list[tuple[Any, str, list[Any]]] = []

    def contact_erased(organizer: Any, email: str, events: list[Any]) -> None:
        calls.append((organizer, email, events))

    from eventyay.testing.plugin import register_temporarily

    with scope(organizer=organizer):
        contact_services.history_record(contact=contact, event=crm_event, kind="attended", source="order:A")
        data = contact_services.contact_export(contact=contact)
        assert data["email"] == "ann@example.org" and data["tags"] == ["vip"]
        assert data["history"][0]["event"] == crm_event.slug
        with (
            register_temporarily("erasure_listener", contact_erased=contact_erased),
            django_capture_on_commit_callbacks(execute=True),
        ):
            contact_services.contact_erase(contact=contact)
        contact.refresh_from_db()
    assert contact.first_name == "" and "ann" not in contact.email and not contact.marketing_consent
    assert contact.events_attended == 1
    assert calls == [(organizer, "ann@example.org", [crm_event])]
