"""Encrypted secrets: stored encrypted, readable after key rotation, never shown back or printed."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django import forms

from eventyay.base.secrets import (
    KEY_ENV,
    SecretError,
    SecretFormField,
    secret_decrypt,
    secret_encrypt,
    secret_mask,
)

KEY = "sk_live_51Habcdefghijklmnop1234"


def test_a_secret_is_stored_encrypted_and_read_back():
    stored = secret_encrypt(KEY)
    assert stored.startswith("enc1:") and KEY not in stored
    assert secret_decrypt(stored).reveal() == KEY


def test_the_decrypted_secret_prints_masked(caplog):
    secret = secret_decrypt(secret_encrypt(KEY))
    with caplog.at_level(logging.INFO):
        logging.getLogger("eventyay.tests").info("using %s / %r", secret, secret)
    assert KEY not in caplog.text
    assert "sk_live_…1234" in caplog.text
    assert secret_mask("short") == "…"


def test_a_dedicated_key_can_be_rotated_in(monkeypatch):
    written_with_derived_key = secret_encrypt(KEY)
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, old)
    written_with_old = secret_encrypt("whsec_old_value_1234")
    monkeypatch.setenv(KEY_ENV, f"{new},{old}")
    assert secret_decrypt(written_with_old).reveal() == "whsec_old_value_1234"
    assert secret_decrypt(written_with_derived_key).reveal() == KEY
    monkeypatch.setenv(KEY_ENV, new)
    with pytest.raises(SecretError):
        secret_decrypt(written_with_old)


def test_the_form_field_never_renders_the_secret_and_empty_keeps_it():
    stored = secret_encrypt(KEY)

    class Form(forms.Form):
        key = SecretFormField(current=stored, label="Secret key")

    html = Form(initial={"key": stored}).as_p()
    assert KEY not in html and stored not in html and "sk_live_…1234 set" in html
    kept = Form({"key": ""}, initial={"key": stored})
    assert kept.is_valid() and kept.cleaned_data["key"] == stored
    bound = Form({"key": "sk_live_replacement_9876"}, initial={"key": stored})
    assert bound.is_valid()
    assert secret_decrypt(bound.cleaned_data["key"]).reveal() == "sk_live_replacement_9876"
    assert "sk_live_replacement_9876" not in bound.as_p()
