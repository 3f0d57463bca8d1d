"""The organizer's side: write-only keys, the connection check, the providers API, tenancy."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from .conftest import SECRET_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer_client(client_for, user):
    return client_for(user)


def control_url(event, page="tickets/settings/payment/"):
    return f"/control/event/{event.organizer.slug}/{event.slug}/{page}"


def test_the_settings_form_never_shows_the_secret_and_empty_keeps_it(shop, organizer_client):
    from django.urls import reverse

    url = reverse(
        "plugins:tickets:control.payment_settings",
        kwargs={"organizer": shop.event.organizer.slug, "event": shop.event.slug},
    )
    page = organizer_client.get(url).content.decode()
    assert SECRET_KEY not in page and WEBHOOK_SECRET not in page and "enc1:" not in page
    assert "sk_test_…1234 set" in page
    stored = shop.event.settings.get("tickets_payment_stripe")
    response = organizer_client.post(
        url,
        {
            "provider": "stripe",
            "stripe-enabled": "on",
            "stripe-label": "Card or Apple Pay",
            "stripe-publishable_key": "pk_test_fake",
            "stripe-secret_key": "",
            "stripe-webhook_secrets": "",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        from eventyay.base.models import Event

        saved = Event.objects.get(pk=shop.event.pk).settings.get("tickets_payment_stripe")
    assert saved["secret_key"] == stored["secret_key"] and saved["label"] == "Card or Apple Pay"
    with scopes_disabled():
        from eventyay.base.models import LogEntry

    replaced = organizer_client.post(
        url,
        {
            "provider": "stripe",
            "stripe-enabled": "on",
            "stripe-label": "Card or Apple Pay",
            "stripe-publishable_key": "pk_test_fake",
            "stripe-secret_key": "sk_test_replaced_5678",
            "stripe-webhook_secrets": "",
        },
    )
    assert replaced.status_code == 302
    with scopes_disabled():
        logged = str(list(LogEntry.objects.values_list("data", flat=True)))
    assert SECRET_KEY not in logged and "sk_test_replaced_5678" not in logged
    assert "(secret, replaced)" in logged
    assert "enc1:" not in logged, "not even the encrypted secret belongs in the audit log"


def test_check_connection_reports_the_account_and_mode(shop, organizer_client, fake):
    url = control_url(shop.event, "stripe/")
    page = organizer_client.get(url).content.decode()
    assert f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/webhook/" in page
    assert "checkout.session.async_payment_succeeded" in page
    response = organizer_client.post(url, follow=True)
    assert "Connected to Example Org Tickets in test mode." in response.content.decode()
    [call] = fake.requests
    assert (call.method, call.path) == ("GET", "/v1/account")
    fake.fail_next = {
        "type": "invalid_request_error",
        "message": "Invalid API Key provided: sk_test_****1234",
    }
    failed = organizer_client.post(url, follow=True).content.decode()
    assert "Invalid API Key provided" in failed


def test_the_payment_providers_api_lists_every_provider_without_secrets(shop, api_client):
    response = api_client.get(
        f"/api/v1/organizers/{shop.event.organizer.slug}/events/{shop.event.slug}/payment-providers/"
    )
    assert response.status_code == 200
    providers = {p["identifier"]: p for p in response.json()}
    assert {"free", "banktransfer", "stripe"} <= set(providers)
    stripe = providers["stripe"]
    assert stripe["enabled"] is True and stripe["refunds_automatically"] is True
    assert stripe["settings"]["publishable_key"] == "pk_test_fake"
    assert "secret_key" not in stripe["settings"] and "webhook_secrets" not in stripe["settings"]
    assert SECRET_KEY not in response.content.decode() and "enc1:" not in response.content.decode()


def test_another_organizer_gets_404_on_the_settings_pages_and_apis(shop, place, other_organizer, client_for):
    from rest_framework.test import APIClient

    from eventyay.base.services.teams import token_create

    outsider = client_for(other_organizer.member)
    assert outsider.get(control_url(shop.event, "stripe/")).status_code == 404
    assert outsider.post(control_url(shop.event, "stripe/")).status_code == 404
    with scopes_disabled():
        team = other_organizer.teams.get(name="Administrators")
    from django_scopes import scope

    with scope(organizer=other_organizer):
        _token, secret = token_create(team=team, name="outsider")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    base = f"/api/v1/organizers/{shop.event.organizer.slug}/events/{shop.event.slug}"
    order = place()
    assert api.get(f"{base}/payment-providers/").status_code == 404
    assert api.post(f"{base}/orders/{order.code}/payments/1/refund/", {}, format="json").status_code == 404
