import pytest
from django.test import override_settings
from django_scopes import scope, scopes_disabled
from oauth2_provider.models import get_access_token_model, get_application_model

from eventyay.base.models import WebHook, WebHookDelivery
from eventyay.base.services.webhooks import webhook_emit


@pytest.fixture
def member_client(client_for, user):
    return client_for(user)


@pytest.mark.django_db
def test_register_edit_and_delete_an_application(member_client, user):
    response = member_client.post(
        "/control/api/applications/",
        {"name": "Check-in", "redirect_uris": "https://app.example.org/cb", "client_type": "confidential"},
        follow=True,
    )
    assert response.status_code == 200
    application = get_application_model().objects.get(user=user)
    assert "will not be shown again" in response.content.decode()
    page = member_client.get(f"/control/api/applications/{application.pk}/")
    assert "will not be shown again" not in page.content.decode()
    member_client.post(
        f"/control/api/applications/{application.pk}/",
        {"name": "Renamed", "redirect_uris": "https://app.example.org/cb", "client_type": "public"},
    )
    application.refresh_from_db()
    assert application.name == "Renamed" and application.client_type == "public"
    member_client.post(f"/control/api/applications/{application.pk}/delete/")
    assert not get_application_model().objects.exists()


@pytest.mark.django_db
def test_invalid_redirect_uri_is_shown_on_the_form(member_client):
    response = member_client.post(
        "/control/api/applications/", {"name": "Bad", "redirect_uris": "not a uri", "client_type": "public"}
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()
    assert not get_application_model().objects.exists()


@pytest.mark.django_db
def test_other_users_application_is_404(member_client, other_organizer):
    foreign = get_application_model().objects.create(
        name="Foreign",
        user=other_organizer.member,
        client_type="public",
        authorization_grant_type="authorization-code",
        redirect_uris="https://x.example.org/cb",
    )
    assert member_client.get(f"/control/api/applications/{foreign.pk}/").status_code == 404


@pytest.mark.django_db
def test_authorized_applications_can_be_revoked(member_client, user):
    from datetime import timedelta

    from django.utils import timezone

    application = get_application_model().objects.create(
        name="Reporting",
        user=user,
        client_type="public",
        authorization_grant_type="authorization-code",
        redirect_uris="https://x.example.org/cb",
    )
    get_access_token_model().objects.create(
        user=user,
        application=application,
        token="t" * 30,
        scope="read",
        expires=timezone.now() + timedelta(hours=1),
    )
    assert "Reporting" in member_client.get("/control/api/authorized/").content.decode()
    member_client.post(f"/control/api/authorized/{application.pk}/revoke/")
    assert not get_access_token_model().objects.exists()


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_webhook_pages(member_client, organizer, event, django_capture_on_commit_callbacks):
    assert "Webhooks" in member_client.get("/control/organizer/example/").content.decode()
    response = member_client.post(
        "/control/organizer/example/webhooks/add/",
        {
            "target_url": "http://127.0.0.1:9/hook",
            "enabled": "on",
            "all_events": "on",
            "action_types": ["event.changed"],
        },
    )
    assert response.status_code == 302
    with scope(organizer=organizer):
        hook = WebHook.objects.get()
        with django_capture_on_commit_callbacks(execute=False):
            (delivery,) = webhook_emit(event=event, action="event.changed", object_id="conf")
    assert "127.0.0.1:9/hook" in member_client.get("/control/organizer/example/webhooks/").content.decode()
    deliveries = member_client.get(f"/control/organizer/example/webhooks/{hook.pk}/deliveries/")
    assert str(delivery.delivery_id) in deliveries.content.decode()
    with scopes_disabled():
        WebHookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        member_client.post(f"/control/organizer/example/webhooks/{hook.pk}/deliveries/{delivery.pk}/retry/")
    assert callbacks
    with scopes_disabled():
        assert WebHookDelivery.objects.get(pk=delivery.pk).status == "pending"
    member_client.post(f"/control/organizer/example/webhooks/{hook.pk}/delete/")
    with scope(organizer=organizer):
        assert not WebHook.objects.exists()


@pytest.mark.django_db
def test_webhook_to_private_network_is_refused_in_the_form(member_client, organizer):
    response = member_client.post(
        "/control/organizer/example/webhooks/add/",
        {
            "target_url": "http://10.0.0.1/hook",
            "enabled": "on",
            "all_events": "on",
            "action_types": ["event.changed"],
        },
    )
    assert response.status_code == 200
    assert "private network" in response.content.decode()


@pytest.mark.django_db
def test_webhook_pages_of_another_organizer_are_404(member_client, organizer, other_organizer):
    assert member_client.get("/control/organizer/other/webhooks/").status_code == 404
