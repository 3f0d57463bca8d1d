"""Contract test against localstripe, a stateful fake Stripe server: the refund requests the
gateway sends are accepted by a server that implements Stripe's API, and the objects it re-fetches
for webhooks parse. (localstripe has no Checkout Sessions; those are covered by the recorded fake.)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from django_scopes import scope

pytestmark = [pytest.mark.localstripe, pytest.mark.django_db]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def localstripe_url() -> Iterator[str]:
    """A localstripe server of this test run, from the virtualenv's ``localstripe`` command."""
    executable = Path(sys.executable).with_name("localstripe")
    if not executable.exists() and shutil.which("localstripe") is None:
        pytest.skip("localstripe is not installed (pip install -e 'plugins/stripe[dev]')")
    port = _free_port()
    server = subprocess.Popen(
        [str(executable) if executable.exists() else "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


class ToLocalstripe(stripe.HTTPClient):
    """stripe-python's own HTTP client, with Stripe's address replaced by localstripe's."""

    name = "to-localstripe"

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.inner = stripe.new_default_http_client()
        self.idempotency_keys: list[str] = []

    def request(self, method, url, headers, post_data=None, **kwargs):
        if method == "post" and headers and headers.get("Idempotency-Key"):
            self.idempotency_keys.append(headers["Idempotency-Key"])
        return self.inner.request(method, url.replace(stripe.DEFAULT_API_BASE, self.base), headers, post_data)

    def close(self) -> None:
        self.inner.close()


def test_a_partial_refund_and_its_webhook_against_localstripe(
    shop, place, localstripe_url, monkeypatch, api_client, django_capture_on_commit_callbacks
):
    from eventyay_stripe import gateway
    from eventyay_stripe.provider import StripeProvider
    from eventyay_stripe.services import _refund_apply
    from eventyay_tickets.models import OrderPayment, OrderRefund
    from eventyay_tickets.services import payment_confirm

    transport = ToLocalstripe(localstripe_url)
    monkeypatch.setattr(gateway, "http_client_factory", lambda: transport)
    client = stripe.StripeClient("sk_test_localstripe", http_client=transport)
    method = client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    order = place()
    with scope(organizer=shop.event.organizer):
        payment = OrderPayment.objects.get(order=order)
        intent = client.v1.payment_intents.create(
            {
                "amount": 10000,
                "currency": "eur",
                "payment_method": method.id,
                "metadata": {"event": str(shop.event.pk), "payment": str(payment.pk)},
            }
        )
        intent = client.v1.payment_intents.confirm(intent.id)
        assert intent.status == "succeeded"
        payment.order = order
        payment_confirm(payment=payment, info={"stripe_payment_intent": intent.id})

    base = f"/api/v1/organizers/{shop.event.organizer.slug}/events/{shop.event.slug}"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"{base}/orders/{order.code}/payments/1/refund/", {"amount": "30.00"}, format="json"
        )
    assert response.status_code == 201
    with scope(organizer=shop.event.organizer):
        refund = OrderRefund.objects.get(order_id=order.pk)
        assert refund.state == "done"
        assert f"eventyay-refund-{refund.pk}" in transport.idempotency_keys
        latest = intent.latest_charge
        charge = client.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id)
        assert charge.amount_refunded == 3000
        # charge.refunded re-fetches the charge's refunds: ours is recognised, nothing is added.
        provider = StripeProvider(shop.event)
        for stripe_refund in provider.gateway().refunds_of_charge(charge.id):
            _refund_apply(provider, stripe_refund)
        assert OrderRefund.objects.filter(order_id=order.pk).count() == 1
