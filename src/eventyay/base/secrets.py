"""Secrets that eventyay keeps for organizers (API keys of payment services, passwords).

They are stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256), never rendered back into a
form, left out of the API and masked wherever they are printed. The key comes from the
environment variable ``EVENTYAY_SECRETS_KEY`` (one or more Fernet keys separated by commas,
the first one encrypts, all of them decrypt, which is how keys are rotated); without it, a key
is derived from the instance's ``SECRET_KEY`` with HKDF. Values encrypted with the derived key
stay readable after ``EVENTYAY_SECRETS_KEY`` is set, and are re-encrypted when next saved.
"""

from __future__ import annotations

import base64
import functools
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

KEY_ENV = "EVENTYAY_SECRETS_KEY"
#: Marks a stored value as encrypted by this module (and with which scheme).
PREFIX = "enc1:"


class SecretError(Exception):
    """A stored secret could not be decrypted (the keys it was written with are gone)."""


class Secret:
    """A decrypted secret that prints masked: ``str()``, ``repr()`` and logs never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plain value, for the one call that needs it (e.g. the payment service's client)."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __str__(self) -> str:
        return secret_mask(self._value)

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"eventyay secrets v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@functools.cache
def _fernet(configured: str, secret_key: str) -> MultiFernet:
    keys = [Fernet(key.strip()) for key in configured.split(",") if key.strip()]
    return MultiFernet([*keys, Fernet(_derived_key(secret_key))])


def _cipher() -> MultiFernet:
    return _fernet(os.environ.get(KEY_ENV, ""), settings.SECRET_KEY)


def is_encrypted(stored: Any) -> bool:
    return isinstance(stored, str) and stored.startswith(PREFIX)


def secret_encrypt(plain: str) -> str:
    """The value to store for ``plain``: ``enc1:`` followed by a Fernet token."""
    return PREFIX + _cipher().encrypt(plain.encode()).decode()


def secret_decrypt(stored: str) -> Secret:
    """The secret behind a stored value; raises :class:`SecretError` when no key fits."""
    if not is_encrypted(stored):
        raise SecretError("The value is not an encrypted secret.")
    try:
        return Secret(_cipher().decrypt(stored[len(PREFIX) :].encode()).decode())
    except InvalidToken as exc:
        raise SecretError("The secret cannot be decrypted with the configured keys.") from exc


def secret_mask(plain: str) -> str:
    """``sk_live_…abcd``: the prefix up to the last underscore and the last four characters,
    enough to tell keys apart; short values show nothing."""
    if len(plain) < 12:
        return "…"
    head = plain[: plain.rfind("_") + 1] if "_" in plain[:-4] else ""
    return f"{head}…{plain[-4:]}"


class SecretFormField(forms.CharField):
    """A write-only form field for a secret stored with :func:`secret_encrypt`.

    The stored value is never rendered; the help text shows the masked secret instead. An
    empty input keeps the stored value; anything else is encrypted, and ``cleaned_data`` holds
    the value to store.
    """

    def __init__(self, *, current: Any = "", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        kwargs["widget"] = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
        self.current = current if is_encrypted(current) else ""
        if self.current:
            try:
                masked = str(secret_decrypt(self.current))
            except SecretError:
                masked = str(_("unreadable, enter it again"))
            hint = _("%(masked)s set; leave empty to keep it.") % {"masked": masked}
            kwargs["help_text"] = f"{kwargs['help_text']} {hint}" if kwargs.get("help_text") else hint
        super().__init__(**kwargs)

    def bound_data(self, data: Any, initial: Any) -> Any:
        return ""

    def prepare_value(self, value: Any) -> Any:
        return ""

    def clean(self, value: Any) -> str:
        if not value and self.current:
            return self.current
        plain = super().clean(value)
        if not plain:
            return self.current
        return secret_encrypt(plain)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)
