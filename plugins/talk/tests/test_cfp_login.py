"""Logging in at the CfP's account step goes through the core's login service."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import url

PASSWORD = "speaker horse battery"


@pytest.fixture(autouse=True)
def clean_cache() -> None:
    """Login throttling counts live in the cache; start every test with none."""
    cache.clear()


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def start_proposal(client: Client, talk_event, talk_type) -> None:
    client.post(
        url(talk_event, "submit.step", step="info"),
        {"title": "T", "abstract": "A", "submission_type": talk_type.pk},
    )


def log_in(client: Client, talk_event, password: str = PASSWORD):
    return client.post(
        url(talk_event, "submit.step", step="account"),
        {"action": "login", "login_email": "known@example.org", "login_password": password},
    )


def test_a_speaker_with_2fa_confirms_the_code_and_comes_back_to_the_cfp(
    talk_event, talk_type, make_speaker
) -> None:
    speaker = make_speaker("known@example.org")
    device = TOTPDevice.objects.create(user=speaker, name="authenticator", confirmed=True)
    client = Client()
    start_proposal(client, talk_event, talk_type)

    response = log_in(client, talk_event)
    assert response["Location"] == "/control/login/2fa/"
    # The password alone logs nobody in: neither the CfP nor the control panel.
    profile = url(talk_event, "submit.step", step="profile")
    assert client.get(profile)["Location"] == url(talk_event, "submit.step", step="account")
    assert client.get("/control/").status_code == 302

    response = client.post("/control/login/2fa/", {"code": code_for(device)})
    assert response["Location"] == profile
    assert client.get(profile).status_code == 200
    assert "otp_device_id" in client.session


def test_the_cfp_login_is_throttled(talk_event, talk_type, make_speaker, settings) -> None:
    settings.LOGIN_RATE_LIMIT = (3, 300)
    make_speaker("known@example.org")
    client = Client()
    start_proposal(client, talk_event, talk_type)
    for _attempt in range(3):
        assert b"the password is wrong" in log_in(client, talk_event, "guess").content
    blocked = log_in(client, talk_event)
    assert blocked.status_code == 200
    assert b"Too many failed attempts" in blocked.content
    assert client.get("/control/").status_code == 302
