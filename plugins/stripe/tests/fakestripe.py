"""A Stripe stand-in at the HTTP layer: a ``stripe.HTTPClient`` that records every request and
answers like Stripe's API does (same JSON shapes, idempotent replays of POSTs), without network.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None


def _flat(params: dict[str, str], prefix: str) -> dict[str, str]:
    return {key[len(prefix) + 1 : -1]: value for key, value in params.items() if key.startswith(prefix + "[")}


@dataclass
class FakeStripe(stripe.HTTPClient):
    """Stateful fake: sessions, payment intents, charges, refunds, disputes."""

    requests: list[Recorded] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    replays: dict[str, tuple[str, int]] = field(default_factory=dict)
    fail_next: dict[str, Any] | None = None
    refund_status: str = "succeeded"

    name = "eventyay-fake"

    def __post_init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)

    # --- stripe.HTTPClient ------------------------------------------------------------------

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = dict(parse_qsl(body, keep_blank_values=True))
        key = (headers or {}).get("Idempotency-Key")
        self.requests.append(Recorded(method.upper(), parts.path, params, key if method == "post" else None))
        if method == "post" and key in self.replays:
            return (*self.replays[key], {})
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            return json.dumps({"error": error}), 400, {}
        status, payload = self._route(method.upper(), parts.path, params)
        answer = (json.dumps(payload), status)
        if method == "post" and key:
            self.replays[key] = answer
        return (*answer, {})

    def close(self) -> None:
        return None

    # --- helpers for tests --------------------------------------------------------------------

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def pay(self, session_id: str, *, delayed: bool = False) -> dict[str, Any]:
        """The buyer pays on Stripe's page; a delayed method (SEPA debit) stays unpaid for now."""
        session = self.objects[session_id]
        intent_id = self.new_id("pi")
        charge_id = self.new_id("ch")
        self.objects[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "currency": session["currency"],
            "status": "processing" if delayed else "succeeded",
            "latest_charge": charge_id,
            "metadata": session["payment_intent_data_metadata"],
        }
        self.objects[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": 0,
            "currency": session["currency"],
            "payment_intent": intent_id,
            "refunded": False,
        }
        session.update(status="complete", payment_intent=intent_id)
        session["payment_status"] = "unpaid" if delayed else "paid"
        return session

    def settle(self, session_id: str) -> None:
        """A delayed payment arrives."""
        session = self.objects[session_id]
        session["payment_status"] = "paid"
        self.objects[session["payment_intent"]]["status"] = "succeeded"

    def bounce(self, session_id: str) -> None:
        """A delayed payment fails (a SEPA debit the bank returns)."""
        session = self.objects[session_id]
        self.objects[session["payment_intent"]]["status"] = "requires_payment_method"

    def dashboard_refund(self, charge_id: str, amount: int) -> dict[str, Any]:
        """The organizer refunds in Stripe's dashboard."""
        charge = self.objects[charge_id]
        return self._refund(charge["payment_intent"], amount, {}, "succeeded")

    def dispute(self, charge_id: str, status: str) -> dict[str, Any]:
        charge = self.objects[charge_id]
        dispute_id = self.new_id("dp")
        self.objects[dispute_id] = {
            "id": dispute_id,
            "object": "dispute",
            "amount": charge["amount"],
            "currency": charge["currency"],
            "charge": charge_id,
            "payment_intent": charge["payment_intent"],
            "status": status,
        }
        return self.objects[dispute_id]

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "type": kind,
            "livemode": False,
            "data": {"object": obj},
        }

    # --- the API --------------------------------------------------------------------------------

    def _refund(self, intent_id: str, amount: int, metadata: dict[str, str], status: str) -> dict[str, Any]:
        intent = self.objects[intent_id]
        refund_id = self.new_id("re")
        self.objects[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "charge": intent["latest_charge"],
            "payment_intent": intent_id,
            "status": status,
            "metadata": metadata,
        }
        charge = self.objects[intent["latest_charge"]]
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return self.objects[refund_id]

    def _route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        segments = path.strip("/").split("/")[1:]
        if (method, segments) == ("GET", ["account"]):
            return 200, {
                "id": "acct_fake",
                "object": "account",
                "settings": {"dashboard": {"display_name": "Example Org Tickets"}},
            }
        if (method, segments) == ("POST", ["checkout", "sessions"]):
            session_id = self.new_id("cs_test")
            self.objects[session_id] = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params["mode"],
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": int(params["line_items[0][price_data][unit_amount]"]),
                "currency": params["line_items[0][price_data][currency]"],
                "client_reference_id": params.get("client_reference_id"),
                "metadata": _flat(params, "metadata"),
                "payment_intent_data_metadata": _flat(params, "payment_intent_data[metadata]"),
                "expires_at": int(params["expires_at"]),
                "payment_intent": None,
                "success_url": params["success_url"],
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            }
            return 200, self.objects[session_id]
        if method == "GET" and len(segments) == 3 and segments[:2] == ["checkout", "sessions"]:
            return self._get(segments[2])
        if method == "POST" and len(segments) == 4 and segments[3] == "expire":
            session = self.objects.get(segments[2])
            if session is None or session["status"] != "open":
                return 400, {"error": {"type": "invalid_request_error", "message": "Session is not open."}}
            session["status"] = "expired"
            return 200, session
        if (method, segments) == ("POST", ["refunds"]):
            metadata = _flat(params, "metadata")
            return 200, self._refund(
                params["payment_intent"], int(params["amount"]), metadata, self.refund_status
            )
        if (method, segments) == ("GET", ["refunds"]):
            charge = params.get("charge")
            data = [o for o in self.objects.values() if o["object"] == "refund" and o["charge"] == charge]
            return 200, {"object": "list", "url": "/v1/refunds", "has_more": False, "data": data}
        if method == "GET" and len(segments) == 2:
            return self._get(segments[1])
        return 404, {"error": {"type": "invalid_request_error", "message": f"No route {method} {path}"}}

    def _get(self, object_id: str) -> tuple[int, dict[str, Any]]:
        if object_id not in self.objects:
            return 404, {
                "error": {"type": "invalid_request_error", "message": f"No such object: {object_id}"}
            }
        return 200, self.objects[object_id]


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header exactly as Stripe computes it."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"
