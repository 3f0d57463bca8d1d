"""The Emails page: every order mail's texts per language, placeholders, preview, validation."""

from __future__ import annotations

import pytest
from django.core import mail
from django_scopes import scope

from .backoffice import member_with, place_order

pytestmark = pytest.mark.django_db

EMAILS = "/control/event/example/shop/tickets/settings/emails/"
TEMPLATES = (
    "order_placed",
    "order_paid",
    "order_expiring",
    "order_canceled",
    "order_approved",
    "order_denied",
)


def form_data(client, **changes: str) -> dict[str, str]:
    """The page's form as the browser would post it unchanged, with ``changes`` applied."""
    form = client.get(EMAILS).context["form"]
    data: dict[str, str] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if hasattr(field, "locales"):
            for index, locale in enumerate(field.locales):
                data[f"{name}_{index}"] = value.localize(locale) if value is not None else ""
        elif value:
            data[name] = "on"
    data.update(changes)
    return data


def test_the_page_lists_every_mail_with_placeholders_and_a_preview(client_for, user, catalogue):
    html = client_for(user).get(EMAILS).content.decode()
    for key in TEMPLATES:
        assert f'id="mail-{key}"' in html
    assert "{payment_info}" in html and "{event_url}" in html and "{organizer}" in html
    assert "Your order ABC12 for Conference shop" in html  # the preview of the sample order
    assert "plugins:tickets" not in html and "Emails" in html


def test_hook_placeholders_are_offered(client_for, user, catalogue):
    from eventyay.testing.plugin import register_temporarily

    with register_temporarily("tickets", order_mail_placeholders=lambda event, order: {"seat": "Row 7"}):
        html = client_for(user).get(EMAILS).content.decode()
    assert "{seat}" in html and "Row 7" in html


def test_saved_texts_are_used_in_the_buyers_language(client_for, user, catalogue):
    event = catalogue.event
    event.locales = ["en", "de"]
    event.save(update_fields=["locales"])
    client = client_for(user)
    page = client.get(EMAILS).content.decode()
    assert page.count('aria-label="Order placed: subject (') == 2  # one input per language
    data = form_data(
        client,
        order_placed_subject_0="Thanks for order {code}",
        order_placed_subject_1="Danke für Bestellung {code}",
    )
    response = client.post(EMAILS, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    mail.outbox.clear()
    with scope(organizer=event.organizer):
        from eventyay_tickets.models import Order
        from eventyay_tickets.services.notifications import order_mail_queue

        order = place_order(catalogue, paid=False)
        order = Order.objects.get(pk=order.pk)
        order_mail_queue(order=order, template="order_placed", delivery_key="t-en")
        order.locale = "de"
        order_mail_queue(order=order, template="order_placed", delivery_key="t-de")
    from django_scopes import scopes_disabled

    from eventyay.base.models import OutgoingMail

    with scopes_disabled():
        subjects = dict(
            OutgoingMail.objects.filter(delivery_key__startswith="t-").values_list("delivery_key", "subject")
        )
    assert subjects == {
        "t-en": f"Thanks for order {order.code}",
        "t-de": f"Danke für Bestellung {order.code}",
    }


def test_unknown_placeholders_are_refused_naming_them(client_for, user, catalogue):
    client = client_for(user)
    data = form_data(client, order_paid_text_0="Hello {attendee_nickname}, see {url} and {total.__class__}")
    response = client.post(EMAILS, data)
    assert response.status_code == 400
    errors = response.context["form"].errors["order_paid_text"]
    assert errors == ["Unknown placeholders: {attendee_nickname}, {total.__class__}."]
    assert catalogue.event.settings.get("tickets_mail_templates") == {}
    broken = client.post(EMAILS, form_data(client, order_paid_subject_0="Paid {code"))
    assert broken.status_code == 400 and "order_paid_subject" in broken.context["form"].errors


def test_preview_renders_posted_texts_without_saving(client_for, user, catalogue):
    client = client_for(user)
    data = form_data(client, order_canceled_subject_0="Gone: {code} ({total} {currency})", preview="1")
    response = client.post(EMAILS, data)
    assert response.status_code == 200
    assert "Gone: ABC12 (42.00 EUR)" in response.content.decode()
    assert catalogue.event.settings.get("tickets_mail_templates") == {}


def test_attachment_switches_are_saved(client_for, user, catalogue):
    client = client_for(user)
    data = form_data(client)
    data.pop("attach_tickets", None)
    assert client.post(EMAILS, data).status_code == 302
    with scope(organizer=catalogue.event.organizer):
        event = catalogue.event.__class__.objects.get(pk=catalogue.event.pk)
    assert event.settings.get("tickets_mail_attach_tickets") is False
    assert event.settings.get("tickets_mail_attach_invoice") is True


def test_other_organizers_and_members_without_the_permission_are_refused(
    client_for, organizer, other_organizer, catalogue
):
    assert client_for(other_organizer.member).get(EMAILS).status_code == 404
    lacking = member_with(organizer, "reader@example.org", ["event.orders:read"])
    assert client_for(lacking).get(EMAILS).status_code == 403
    assert client_for(lacking).post(EMAILS, {}).status_code == 403


def test_texts_stored_by_the_former_settings_form_still_apply_until_saved_here(client_for, user, catalogue):
    from eventyay_tickets.services.notifications import mail_template_texts

    from eventyay.base.models import EventPlugin

    with scope(organizer=catalogue.event.organizer):
        EventPlugin.objects.filter(event=catalogue.event, name="tickets").update(
            settings={"mail_subject_order_paid": "Old subject {code}"}
        )
        event = catalogue.event.__class__.objects.get(pk=catalogue.event.pk)
        assert mail_template_texts(event, "order_paid")[0] == "Old subject {code}"
        assert mail_template_texts(event, "order_canceled")[0] == "Your order {code} has been canceled"
    client = client_for(user)
    assert (
        client.post(EMAILS, form_data(client, order_paid_subject_0="New subject {code}")).status_code == 302
    )
    with scope(organizer=catalogue.event.organizer):
        event = catalogue.event.__class__.objects.get(pk=catalogue.event.pk)
        assert mail_template_texts(event, "order_paid")[0] == "New subject {code}"
