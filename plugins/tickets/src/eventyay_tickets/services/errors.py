"""Errors the services raise; views and the API turn them into form errors, 400 or 409."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class OrderError(ValidationError):
    """The request breaks a shop rule; nothing was written.

    ``message_dict`` names the field; per-position errors are under ``"positions"`` as a list
    with one dict per position index (empty dicts for positions without errors).
    """

    def __init__(self, errors: dict[str, Any]) -> None:
        self.detail = errors
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            if value and isinstance(value[0], dict):
                messages = [m for item in value for msgs in item.values() for m in msgs]
                flat[key] = messages or ["invalid"]
            else:
                flat[key] = list(value)
        super().__init__(flat)


class CapacityBusy(Exception):
    """Quota or voucher rows stayed locked longer than the lock timeout.

    Nothing was written. The caller should retry after :attr:`retry_after` seconds (the API
    answers HTTP 409 with ``Retry-After``; the shop asks the buyer to try again).
    """

    retry_after = 1

    def __init__(self, message: str = "The shop is busy, please try again in a moment.") -> None:
        super().__init__(message)
