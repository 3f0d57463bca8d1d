"""Two-factor authentication: set-up with a QR code, login with TOTP or a backup code, removal."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery"


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def set_up_2fa(client: Client, user) -> tuple[list[str], object]:
    page = client.get("/control/user/2fa/setup/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/control/user/2fa/setup/", {"code": code_for(device)})
    assert response.status_code == 302
    shown = client.get(response["Location"])
    return list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)), shown


@pytest.mark.django_db
def test_setup_page_shows_an_inline_svg_qr_code_and_no_script(client_for, user):
    page = client_for(user).get("/control/user/2fa/setup/").content.decode()
    assert "<svg" in page
    assert "<script>" not in page
    assert 'name="code"' in page


@pytest.mark.django_db
def test_wrong_code_does_not_enable_2fa(client_for, user):
    client = client_for(user)
    client.get("/control/user/2fa/setup/")
    response = client.post("/control/user/2fa/setup/", {"code": "000000"})
    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@pytest.mark.django_db
def test_confirming_shows_ten_backup_codes_once(client_for, user):
    client = client_for(user)
    codes, shown = set_up_2fa(client, user)
    assert len(codes) == 10
    page = shown.content.decode()
    assert all(code in page for code in codes)
    assert codes[0] not in client.get("/control/user/2fa/").content.decode()


@pytest.mark.django_db
def test_login_asks_for_the_totp_code_after_the_password(client_for, user):
    set_up_2fa(client_for(user), user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    client = Client()
    response = client.post("/control/login/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/control/login/2fa/"
    assert client.get("/control/").status_code == 302  # not logged in yet
    wrong = client.post("/control/login/2fa/", {"code": "123456"})
    assert wrong.status_code == 200
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    # The set-up used the current time step; a code is accepted only once, so use the next one.
    response = client.post("/control/login/2fa/", {"code": code_for(device, drift=1)})
    assert response.status_code == 302
    assert client.get("/control/").status_code == 200
    assert "otp_device_id" in client.session


@pytest.mark.django_db
def test_a_backup_code_logs_in_once(client_for, user):
    codes, _shown = set_up_2fa(client_for(user), user)
    client = Client()
    client.post("/control/login/", {"email": user.email, "password": PASSWORD})
    assert client.post("/control/login/2fa/", {"code": codes[0]}).status_code == 302
    assert client.get("/control/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9

    again = Client()
    again.post("/control/login/", {"email": user.email, "password": PASSWORD})
    assert again.post("/control/login/2fa/", {"code": codes[0]}).status_code == 200
    assert again.get("/control/").status_code == 302


@pytest.mark.django_db
def test_second_step_without_the_password_step_goes_back_to_login(client):
    assert client.get("/control/login/2fa/")["Location"] == "/control/login/"


@pytest.mark.django_db
def test_regenerating_backup_codes_replaces_the_old_ones(client_for, user):
    client = client_for(user)
    old, _shown = set_up_2fa(client, user)
    response = client.post("/control/user/2fa/backup-codes/")
    assert response.status_code == 302
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new) == 10
    assert not new & set(old)
    page = client.get("/control/user/2fa/").content.decode()
    assert all(code in page for code in new)


@pytest.mark.django_db
def test_removing_2fa_needs_the_password(client_for, user):
    client = client_for(user)
    set_up_2fa(client, user)
    assert client.post("/control/user/2fa/remove/", {"password": "wrong"}).status_code == 400
    assert TOTPDevice.objects.filter(user=user).exists()
    assert client.post("/control/user/2fa/remove/", {"password": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    # Without a device, logging in needs the password only.
    fresh = Client()
    assert (
        fresh.post("/control/login/", {"email": user.email, "password": PASSWORD})["Location"] == "/control/"
    )


@pytest.mark.django_db
def test_organizer_requiring_2fa_sends_members_without_it_to_the_setup(client_for, user, organizer, event):
    organizer.require_2fa = True
    organizer.save()
    client = client_for(user)
    for url in ("/control/organizer/example/", "/control/event/example/conf/settings/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/control/user/2fa/setup/?next=")
    # Pages outside the organizer stay usable.
    assert client.get("/control/").status_code == 200
    set_up_2fa(client, user)
    assert client.get("/control/organizer/example/").status_code == 200
    assert client.get("/control/event/example/conf/settings/").status_code == 200


@pytest.mark.django_db
def test_setup_returns_to_the_page_that_required_it(client_for, user, organizer):
    organizer.require_2fa = True
    organizer.save()
    client = client_for(user)
    setup_url = client.get("/control/organizer/example/settings/")["Location"]
    client.get(setup_url)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        setup_url, {"code": code_for(device), "next": "/control/organizer/example/settings/"}
    )
    shown = client.get(response["Location"]).content.decode()
    assert 'href="/control/organizer/example/settings/"' in shown
