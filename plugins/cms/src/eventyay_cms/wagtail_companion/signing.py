"""The signature eventyay puts on its requests: HMAC-SHA256 of ``"<timestamp>." + body``.

The same scheme as eventyay's inbound webhooks: the signature in ``X-Eventyay-Signature``, the
Unix time in ``X-Eventyay-Timestamp``; compared in constant time, refused when the timestamp is
more than five minutes away, and refused the second time it arrives (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.core.cache import caches

SIGNATURE_HEADER = "X-Eventyay-Signature"
TIMESTAMP_HEADER = "X-Eventyay-Timestamp"
TOLERANCE_SECONDS = 300


class SignatureRejected(Exception):
    """The request is not from the eventyay connection holding the secret (or is a replay)."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(*, secret: str, timestamp: str, signature: str, body: bytes, cache_alias: str = "default") -> None:
    """Raise :class:`SignatureRejected` unless ``signature`` is fresh, valid and not seen before."""
    if not secret:
        raise SignatureRejected("EVENTYAY_COMPANION_SECRET is not set.")
    if not timestamp.isdigit() or not signature:
        raise SignatureRejected("The signature or its timestamp is missing.")
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        raise SignatureRejected("The timestamp is too old or in the future.")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower()):
        raise SignatureRejected("The signature does not match.")
    # Kept for twice the window: a replay is refused for as long as its timestamp is accepted.
    if not caches[cache_alias].add(f"eventyay-companion:{signature}", 1, 2 * TOLERANCE_SECONDS):
        raise SignatureRejected("This request was already received.")
