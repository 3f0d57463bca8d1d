"""A session counts as logged in only once it confirmed the second factor of its account."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.fixture
def password_only(user, device, client_for) -> Client:
    """A session logged in without the code (Django's ``login()`` alone, as a plugin might call it)."""
    return client_for(user)


@pytest.mark.django_db
def test_a_password_only_session_of_a_2fa_superuser_sees_no_control_page(user, password_only, event):
    user.is_superuser = True
    user.save()
    for page in ("/control/", "/control/organizer/example/", "/control/event/example/conf/settings/"):
        response = password_only.get(page, follow=True)
        assert response.redirect_chain, page
        assert response.request["PATH_INFO"] == "/control/login/2fa/", page


@pytest.mark.django_db
def test_the_decorators_send_an_unverified_session_to_the_code_with_next(password_only, event):
    response = password_only.get("/control/event/example/conf/settings/")
    assert (
        response["Location"] == "/control/login/2fa/?next=%2Fcontrol%2Fevent%2Fexample%2Fconf%2Fsettings%2F"
    )


@pytest.mark.django_db
def test_the_login_page_of_an_unverified_session_asks_for_the_code(password_only):
    response = password_only.get("/control/login/?next=/control/user/settings/")
    assert response["Location"] == "/control/login/2fa/?next=%2Fcontrol%2Fuser%2Fsettings%2F"


@pytest.mark.django_db
def test_confirming_the_code_verifies_the_session_and_returns_to_next(password_only, device, organizer):
    response = password_only.post(
        "/control/login/2fa/?next=/control/user/settings/", {"code": code_for(device)}
    )
    assert response["Location"] == "/control/user/settings/"
    assert password_only.get("/control/user/settings/").status_code == 200
    assert password_only.get("/control/organizer/example/").status_code == 200


@pytest.mark.django_db
def test_an_unverified_session_cannot_remove_or_replace_the_second_factor(user, password_only):
    assert password_only.post("/control/user/2fa/remove/", {"password": PASSWORD}).status_code == 302
    assert password_only.get("/control/user/2fa/setup/").status_code == 302
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


@pytest.mark.django_db
def test_the_api_refuses_an_unverified_session(password_only, device, organizer):
    response = password_only.get("/api/v1/organizers/example/events/")
    assert response.status_code in (401, 403)
    assert "second factor" in response.json()["detail"]
    password_only.post("/control/login/2fa/", {"code": code_for(device)})
    assert password_only.get("/api/v1/organizers/example/events/").status_code == 200


@pytest.mark.django_db
def test_a_session_of_an_account_that_got_2fa_elsewhere_must_confirm_it(user, client_for, organizer):
    session = client_for(user)
    assert session.get("/control/organizer/example/").status_code == 200
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    assert session.get("/control/organizer/example/")["Location"].startswith("/control/login/2fa/")


@pytest.mark.django_db
def test_the_password_step_alone_logs_nobody_in(user, device):
    client = Client()
    response = client.post("/control/login/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/control/login/2fa/"
    assert "_auth_user_id" not in client.session
