"""Logging in and out, throttling, signing up, password reset by mail, account settings."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail, User

PASSWORD = "correct horse battery"


def login(client: Client, email: str, password: str, **extra: str):
    return client.post("/control/login/", {"email": email, "password": password}, **extra)


@pytest.mark.django_db
def test_login_with_email_and_password_opens_the_dashboard(client, user):
    response = login(client, "Member@Example.org", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/control/"
    assert client.get("/control/").status_code == 200


@pytest.mark.django_db
def test_login_follows_a_local_next_but_not_a_foreign_one(client, user):
    response = client.post(
        "/control/login/", {"email": user.email, "password": PASSWORD, "next": "/control/user/2fa/"}
    )
    assert response["Location"] == "/control/user/2fa/"
    other = Client()
    response = other.post(
        "/control/login/", {"email": user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/control/"


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_logs_nobody_in(client, user):
    response = login(client, user.email, "wrong password")
    assert response.status_code == 200
    assert "The email address or the password is wrong." in response.content.decode()
    assert client.get("/control/").status_code == 302


@pytest.mark.django_db
def test_too_many_failures_block_that_email_from_that_address_only(client, user, settings):
    settings.LOGIN_RATE_LIMIT = (3, 300)
    other = User.objects.create_user("other@example.org", "another good password")
    for _attempt in range(3):
        login(client, user.email, "wrong password")
    blocked = login(client, user.email, PASSWORD)
    assert blocked.status_code == 200
    assert "Too many failed attempts" in blocked.content.decode()
    # Another account from the same address is unaffected ...
    assert login(Client(), other.email, "another good password").status_code == 302
    # ... and so is the same account from elsewhere.
    assert login(Client(), user.email, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


@pytest.mark.django_db
def test_logout_needs_post(client_for, user):
    client = client_for(user)
    assert client.get("/control/logout/").status_code == 405
    response = client.post("/control/logout/")
    assert response.status_code == 302
    assert client.get("/control/").status_code == 302


@pytest.mark.django_db
def test_signup_creates_an_account_and_logs_in(client):
    response = client.post(
        "/control/signup/",
        {
            "email": "New@Example.org",
            "fullname": "New Person",
            "password": "a sufficiently long one",
            "password_repeat": "a sufficiently long one",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert user.fullname == "New Person"
    assert client.get("/control/").status_code == 200


@pytest.mark.django_db
def test_signup_applies_the_password_validators(client):
    response = client.post(
        "/control/signup/",
        {"email": "new@example.org", "password": "12345678", "password_repeat": "12345678"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(email="new@example.org").exists()


@pytest.mark.django_db
def test_signup_is_off_when_the_instance_says_so(client, settings):
    settings.ALLOW_SIGNUP = False
    assert client.get("/control/signup/").status_code == 404
    assert "Sign up" not in client.get("/control/login/").content.decode()


@pytest.mark.django_db
def test_password_reset_goes_through_the_outbox_and_sets_a_new_password(client, user):
    response = client.post("/control/password/reset/", {"email": user.email})
    assert response.status_code == 302
    with scopes_disabled():
        mail = OutgoingMail.objects.get()
    assert mail.to == [user.email]
    link = re.search(r"https?://[^/]+(/control/password/reset/\S+)", mail.body_text).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "brand new secret 42", "new_password2": "brand new secret 42"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand new secret 42")


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, user):
    response = client.post("/control/password/reset/", {"email": "nobody@example.org"}, follow=True)
    assert "If an account with this address exists" in response.content.decode()
    with scopes_disabled():
        assert not OutgoingMail.objects.exists()


@pytest.mark.django_db
def test_password_change_checks_the_old_password_and_the_validators(client_for, user):
    client = client_for(user)
    response = client.post(
        "/control/user/password/",
        {"old_password": "wrong", "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = client.post(
        "/control/user/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long secret",
            "new_password2": "another long secret",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another long secret")
    # The session stays valid after the change.
    assert client.get("/control/").status_code == 200


@pytest.mark.django_db
def test_user_settings_change_name_language_and_time_zone(client_for, user):
    client = client_for(user)
    response = client.post(
        "/control/user/settings/", {"fullname": "Renamed", "locale": "de", "timezone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.fullname, user.locale, user.timezone) == ("Renamed", "de", "Europe/Berlin")


@pytest.mark.django_db
def test_user_settings_refuse_an_unknown_time_zone(client_for, user):
    response = client_for(user).post(
        "/control/user/settings/", {"fullname": "Renamed", "locale": "en", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.fullname == "Team Member"


@pytest.mark.django_db
def test_password_reset_requests_are_throttled(client, user, settings):
    settings.LOGIN_RATE_LIMIT = (2, 300)
    for _attempt in range(4):
        assert client.post("/control/password/reset/", {"email": user.email}).status_code == 302
    with scopes_disabled():
        assert OutgoingMail.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_login_keeps_where_to_go_next(client, user):
    response = client.post(
        "/control/login/", {"email": user.email, "password": "wrong", "next": "/control/user/2fa/"}
    )
    assert 'name="next" value="/control/user/2fa/"' in response.content.decode()
