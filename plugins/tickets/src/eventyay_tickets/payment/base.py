"""The one base class every payment provider builds on (built-in and third-party alike)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from eventyay.base.secrets import SecretError, SecretFormField, is_encrypted, secret_decrypt

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from eventyay.base.models import Event
    from eventyay_tickets.models import Order, OrderPayment, OrderRefund


#: Key of ``OrderPayment.info`` / ``OrderRefund.info`` holding the ids shown in the API.
PUBLIC_INFO = "public"


class PaymentError(Exception):
    """A provider could not take or refund a payment; the message is shown to the user."""


class BasePaymentProvider:
    """A way to pay for an order.

    Subclass it, set :attr:`identifier` and :attr:`verbose_name`, override what your provider
    does, and return the class from the ``register_payment_providers`` hook. One instance is made
    per event and request; :attr:`settings` holds the organizer's per-event settings for it.

    The shop calls, in order: :meth:`is_allowed` (may the provider be offered for this cart?),
    :meth:`checkout_form` (extra fields on the payment step), :meth:`checkout_prepare` (validate
    them; returns data stored on the payment), then, after the order is placed,
    :meth:`execute_payment` (take the money, or return a URL to send the buyer to). Pending
    orders show :meth:`order_pending_html`. When a payment failed (``payment_fail``) or was
    canceled and the order is still pending, the buyer can pay again: the order page's pay
    button gets a new payment for the open amount from
    :func:`eventyay_tickets.services.order_payment_open` and hands it to
    :meth:`execute_payment`; the failed one stays recorded. Derive the idempotency keys you
    send to the payment service from the payment's id, so each attempt is a new one and a
    double click is not. Refunds, full or partial, from the order page in the control panel and
    from the API go through :func:`eventyay_tickets.payment.refunds.refund_create` and, when
    :attr:`refunds_automatically` is set, to :meth:`execute_refund`. Webhooks from the payment service arrive at
    ``/<organizer>/<event>/tickets/payment/<identifier>/webhook/`` and go to
    :meth:`process_webhook`.

    Secrets (API keys, passwords) are settings fields of type
    :class:`eventyay.base.secrets.SecretFormField`: stored encrypted, never shown again, left
    out of :meth:`public_settings`; read them with :meth:`secret`. Ids worth showing to the
    organizer and in the API (transaction ids at the payment service) go into the payment's or
    refund's ``info`` under :data:`PUBLIC_INFO`; the rest of ``info`` stays internal. Refunds
    made outside eventyay (in the payment service's dashboard, lost disputes) are recorded with
    :func:`eventyay_tickets.payment.refunds.refund_record_external`.
    """

    #: Unique, URL-safe name, e.g. ``"stripe"``.
    identifier: ClassVar[str] = ""
    #: Name shown to organizers.
    verbose_name: ClassVar[Any] = ""
    #: Whether :meth:`execute_refund` can send money back without the organizer's help.
    refunds_automatically: ClassVar[bool] = False
    #: Whether the provider is switched on when the organizer has not configured it.
    enabled_by_default: ClassVar[bool] = False

    def __init__(self, event: Event) -> None:
        self.event = event
        stored = event.settings.get(self.settings_key) or {}
        self.settings: dict[str, Any] = dict(stored) if isinstance(stored, dict) else {}

    # --- configuration ----------------------------------------------------------------------

    @property
    def settings_key(self) -> str:
        return f"tickets_payment_{self.identifier}"

    def settings_form_fields(self) -> dict[str, forms.Field]:
        """Fields of the per-event settings form; extend with ``{**super()..., "key": field}``."""
        return {
            "enabled": forms.BooleanField(
                label=_("Enabled"), required=False, initial=self.enabled_by_default
            ),
            "label": forms.CharField(label=_("Name shown to buyers"), required=False),
            "fee": forms.DecimalField(label=_("Fee"), required=False, min_value=0, decimal_places=2),
            "available_from": forms.DateTimeField(label=_("Available from"), required=False),
            "available_until": forms.DateTimeField(label=_("Available until"), required=False),
            "min_amount": forms.DecimalField(label=_("Minimum order total"), required=False, min_value=0),
            "max_amount": forms.DecimalField(label=_("Maximum order total"), required=False, min_value=0),
            "products": forms.TypedMultipleChoiceField(
                label=_("Only for these products"),
                help_text=_("Leave all unticked to offer the provider for every product."),
                required=False,
                coerce=int,
                choices=self._product_choices,
                widget=forms.CheckboxSelectMultiple,
            ),
        }

    def _product_choices(self) -> list[tuple[int, str]]:
        from django_scopes import scope

        from eventyay_tickets.models import Product

        with scope(organizer=self.event.organizer):
            return [
                (pk, str(name))
                for pk, name in Product.objects.filter(event=self.event).values_list("pk", "name")
            ]

    def clean_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check settings about to be stored, as a whole; the control panel's form and every other
        path that stores them (:func:`eventyay_tickets.services.backoffice.payment_provider_settings_save`)
        call it. Raise :class:`django.core.exceptions.ValidationError` with a dict of field name to
        message, so the error shows next to its field. Returns the (normalised) values.
        """
        return values

    @property
    def restricted_product_ids(self) -> set[int]:
        """The products the provider is limited to (empty: all). Reads the list the form stores
        and the comma-separated text older versions stored."""
        stored = self.settings.get("products") or []
        parts = stored.split(",") if isinstance(stored, str) else stored
        return {int(part) for part in parts if str(part).strip().isdigit()}

    def secret(self, key: str) -> str:
        """The plain value of the secret setting ``key`` ("" when unset or unreadable)."""
        stored = self.settings.get(key)
        if not isinstance(stored, str) or not is_encrypted(stored):
            return ""
        try:
            return secret_decrypt(stored).reveal()
        except SecretError:
            logger.warning("Secret %r of payment provider %r cannot be decrypted", key, self.identifier)
            return ""

    def public_settings(self) -> dict[str, Any]:
        """The settings without secrets: what the API and exports may show."""
        secret_keys = {
            key for key, field in self.settings_form_fields().items() if isinstance(field, SecretFormField)
        }
        return {
            key: value
            for key, value in self.settings.items()
            if key not in secret_keys and not is_encrypted(value)
        }

    @property
    def public_name(self) -> str:
        return str(self.settings.get("label") or self.verbose_name)

    @property
    def is_enabled(self) -> bool:
        return bool(self.settings.get("enabled", self.enabled_by_default))

    def _decimal(self, key: str) -> Decimal | None:
        value = self.settings.get(key)
        if value in (None, ""):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None

    def fee(self, total: Decimal) -> Decimal:
        """The fee this provider adds to an order of ``total``."""
        if total == 0:
            return Decimal("0.00")
        return self._decimal("fee") or Decimal("0.00")

    def is_allowed(self, *, total: Decimal, product_ids: Iterable[int], now: Any = None) -> bool:
        """Whether the provider may be offered for an order of ``total`` with these products."""
        if not self.is_enabled:
            return False
        now = now or timezone.now()
        start = parse_datetime(str(self.settings.get("available_from") or ""))
        end = parse_datetime(str(self.settings.get("available_until") or ""))
        if (start and now < start) or (end and now > end):
            return False
        minimum, maximum = self._decimal("min_amount"), self._decimal("max_amount")
        if (minimum is not None and total < minimum) or (maximum is not None and total > maximum):
            return False
        allowed = self.restricted_product_ids
        return not allowed or set(product_ids) <= allowed

    # --- checkout ---------------------------------------------------------------------------

    def checkout_form(self, *, data: dict[str, Any] | None = None, prefix: str = "") -> forms.Form | None:
        """Extra fields shown when the buyer picks this provider, or None."""
        return None

    def checkout_prepare(self, *, request: HttpRequest | None, form_data: dict[str, Any]) -> dict[str, Any]:
        """Validate the buyer's input (raise :class:`PaymentError`); return info kept on the payment."""
        return {}

    def execute_payment(self, *, request: HttpRequest | None, payment: OrderPayment) -> str | None:
        """Take the payment after the order is placed.

        Confirm it right away with :func:`eventyay_tickets.services.payment_confirm`, leave it
        pending (bank transfer) or return a URL to redirect the buyer to. Raise
        :class:`PaymentError` when it failed.
        """
        return None

    def order_pending_html(self, *, order: Order, payment: OrderPayment | None, request: HttpRequest) -> str:
        """Instructions or a pay button on the page of a pending order (safe HTML).

        ``payment`` is the order's created or pending payment; None after the last attempt
        failed or was canceled, when the page should offer to pay again.
        """
        return ""

    def payment_info_text(self, *, order: Order) -> str:
        """Plain-text payment instructions for the order email."""
        return ""

    # --- refunds and webhooks ---------------------------------------------------------------

    def execute_refund(self, *, refund: OrderRefund) -> None:
        """Send ``refund.amount`` back; mark it done with ``refund_done`` or raise :class:`PaymentError`."""
        raise PaymentError(_("This payment method cannot refund automatically."))

    def process_webhook(self, *, request: HttpRequest) -> HttpResponse:
        """Handle a notification from the payment service (POST to the provider's webhook URL)."""
        return HttpResponse(status=404)
