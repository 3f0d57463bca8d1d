"""The Stripe payment provider: the tickets plugin's contract, implemented on Stripe Checkout."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from eventyay_tickets.payment import BasePaymentProvider

from eventyay.base.secrets import SecretFormField

if TYPE_CHECKING:
    from collections.abc import Iterable

    from eventyay_tickets.models import Order, OrderPayment, OrderRefund

    from eventyay_stripe.gateway import StripeGateway

#: Instance-wide fallbacks for events that keep no keys of their own.
SECRET_KEY_ENV = "EVENTYAY_STRIPE_SECRET_KEY"
WEBHOOK_SECRET_ENV = "EVENTYAY_STRIPE_WEBHOOK_SECRET"


class StripeProvider(BasePaymentProvider):
    """Cards, wallets and every other method enabled in the Stripe account, on Stripe Checkout."""

    identifier = "stripe"
    verbose_name = _("Stripe (credit card and wallets)")
    refunds_automatically = True

    def settings_form_fields(self) -> dict[str, forms.Field]:
        return {
            **super().settings_form_fields(),
            "publishable_key": forms.CharField(
                label=_("Publishable key"), required=False, help_text=_("pk_live_… or pk_test_…")
            ),
            "secret_key": SecretFormField(
                label=_("Secret key"),
                current=self.settings.get("secret_key"),
                help_text=_("sk_live_… or sk_test_… (or a restricted key); stored encrypted."),
            ),
            "webhook_secrets": SecretFormField(
                label=_("Webhook signing secrets"),
                current=self.settings.get("webhook_secrets"),
                help_text=_("whsec_…; while rotating, give the old and the new one separated by a comma."),
            ),
        }

    @property
    def public_name(self) -> str:
        return str(self.settings.get("label") or _("Credit card and wallets"))

    def api_key(self) -> str:
        return self.secret("secret_key") or os.environ.get(SECRET_KEY_ENV, "")

    def webhook_secrets(self) -> list[str]:
        configured = self.secret("webhook_secrets") or os.environ.get(WEBHOOK_SECRET_ENV, "")
        return [part.strip() for part in configured.split(",") if part.strip()]

    @property
    def mode(self) -> str:
        """``live`` or ``test``, as the secret key says."""
        return "live" if "_live_" in self.api_key() else "test"

    def gateway(self) -> StripeGateway:
        from eventyay_stripe.services import gateway_for

        return gateway_for(self)

    def is_allowed(self, *, total: Decimal, product_ids: Iterable[int], now: Any = None) -> bool:
        return (
            total > 0
            and bool(self.api_key())
            and super().is_allowed(total=total, product_ids=product_ids, now=now)
        )

    def execute_payment(self, *, request: HttpRequest | None, payment: OrderPayment) -> str | None:
        from eventyay_stripe.services import checkout_start

        return checkout_start(provider=self, payment=payment)

    def order_pending_html(self, *, order: Order, payment: OrderPayment | None, request: HttpRequest) -> str:
        processing = bool(
            payment and payment.provider == self.identifier and payment.info.get("stripe_processing")
        )
        return render_to_string(
            "eventyay_stripe/pending.html",
            {"order": order, "payment": payment, "processing": processing, "provider": self},
            request,
        )

    def payment_info_text(self, *, order: Order) -> str:
        return str(_("Pay by card or wallet on the order page: {url}")).format(
            url=settings.SITE_URL + order.get_absolute_url()
        )

    def execute_refund(self, *, refund: OrderRefund) -> None:
        from eventyay_stripe.services import refund_send

        refund_send(provider=self, refund=refund)

    def process_webhook(self, *, request: HttpRequest) -> HttpResponse:
        from eventyay_stripe.views import webhook_response

        return webhook_response(provider=self, request=request)
