"""The one way eventyay talks to Stripe: :class:`StripeGateway`, a thin layer on ``StripeClient``.

Every POST carries an idempotency key that the caller derives from eventyay's own ids, so a
retried task or a double click can never charge or refund twice. Tests replace the transport
with :data:`http_client_factory` (a ``stripe.HTTPClient`` that records requests and answers
with Stripe's JSON); nothing else differs from production.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe

#: Makes the ``stripe.HTTPClient`` every gateway uses; None is stripe-python's default client.
http_client_factory: Callable[[], stripe.HTTPClient] | None = None

#: Currencies Stripe counts in whole units, and those with three decimals.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` in the currency's smallest unit, as Stripe expects it."""
    code = currency.upper()
    places = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return int((Decimal(str(amount)) * (10**places)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor_units(value: int, currency: str) -> Decimal:
    code = currency.upper()
    places = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return (Decimal(value) / (10**places)).quantize(Decimal("0.01"))


class StripeGateway:
    """The calls eventyay makes to Stripe, each returning stripe-python's objects."""

    def __init__(self, api_key: str) -> None:
        http_client = http_client_factory() if http_client_factory else None
        self.client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=2)

    def account(self) -> stripe.Account:
        return self.client.v1.accounts.retrieve_current()

    def session_create(self, params: dict[str, Any], *, idempotency_key: str) -> stripe.checkout.Session:
        return self.client.v1.checkout.sessions.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": idempotency_key},
        )

    def session_retrieve(self, session_id: str) -> stripe.checkout.Session:
        return self.client.v1.checkout.sessions.retrieve(session_id)

    def session_expire(self, session_id: str, *, idempotency_key: str) -> stripe.checkout.Session:
        return self.client.v1.checkout.sessions.expire(
            session_id, options={"idempotency_key": idempotency_key}
        )

    def refund_create(self, params: dict[str, Any], *, idempotency_key: str) -> stripe.Refund:
        return self.client.v1.refunds.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": idempotency_key},
        )

    def refund_retrieve(self, refund_id: str) -> stripe.Refund:
        return self.client.v1.refunds.retrieve(refund_id)

    def charge_retrieve(self, charge_id: str) -> stripe.Charge:
        return self.client.v1.charges.retrieve(charge_id)

    def refunds_of_charge(self, charge_id: str) -> list[stripe.Refund]:
        return list(self.client.v1.refunds.list({"charge": charge_id, "limit": 100}).data)

    def dispute_retrieve(self, dispute_id: str) -> stripe.Dispute:
        return self.client.v1.disputes.retrieve(dispute_id)

    def payment_intent_retrieve(self, payment_intent_id: str) -> stripe.PaymentIntent:
        return self.client.v1.payment_intents.retrieve(payment_intent_id)
