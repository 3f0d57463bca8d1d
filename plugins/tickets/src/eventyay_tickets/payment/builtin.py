"""The providers that come with the tickets plugin, registered through the same hook as any other."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eventyay_tickets.payment.base import BasePaymentProvider

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.http import HttpRequest

    from eventyay_tickets.models import Order, OrderPayment


class FreeProvider(BasePaymentProvider):
    """Orders with a total of zero are paid the moment they are placed."""

    identifier = "free"
    verbose_name = _("Free order")
    enabled_by_default = True

    @property
    def is_enabled(self) -> bool:
        return True

    def is_allowed(self, *, total: Decimal, product_ids: Iterable[int], now: Any = None) -> bool:
        return total == 0

    def execute_payment(self, *, request: HttpRequest | None, payment: OrderPayment) -> str | None:
        from eventyay_tickets.services.orders import payment_confirm

        payment_confirm(payment=payment)
        return None


class BankTransferProvider(BasePaymentProvider):
    """The buyer transfers the money quoting the order's reference; the organizer marks it paid
    or uploads a bank statement that is matched by reference and amount."""

    identifier = "banktransfer"
    verbose_name = _("Bank transfer")
    enabled_by_default = True

    def settings_form_fields(self) -> dict[str, forms.Field]:
        return {
            **super().settings_form_fields(),
            "account_holder": forms.CharField(label=_("Account holder"), required=False),
            "iban": forms.CharField(label=_("IBAN"), required=False),
            "bic": forms.CharField(label=_("BIC"), required=False),
            "bank_name": forms.CharField(label=_("Bank"), required=False),
        }

    def clean_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        """Buyers cannot pay without an account to pay to: enabling needs holder and a valid IBAN."""
        from stdnum import bic, iban
        from stdnum.exceptions import ValidationError as NumberError

        values = dict(values)
        errors: dict[str, str] = {}
        holder = str(values.get("account_holder") or "").strip()
        number = str(values.get("iban") or "").strip()
        code = str(values.get("bic") or "").strip()
        if number:
            try:
                values["iban"] = iban.format(iban.validate(number))
            except NumberError:
                errors["iban"] = gettext("This is not a valid IBAN.")
        if code:
            try:
                values["bic"] = bic.validate(code)
            except NumberError:
                errors["bic"] = gettext("This is not a valid BIC.")
        if values.get("enabled"):
            if not holder:
                errors["account_holder"] = gettext("Bank transfer needs an account holder to be enabled.")
            if not number:
                errors["iban"] = gettext("Bank transfer needs an IBAN to be enabled.")
        if errors:
            raise ValidationError(errors)
        return values

    def is_allowed(self, *, total: Decimal, product_ids: Iterable[int], now: Any = None) -> bool:
        return total > 0 and super().is_allowed(total=total, product_ids=product_ids, now=now)

    def _details(self, order: Order) -> dict[str, Any]:
        return {
            "order": order,
            "reference": order.full_code,
            "amount": order.total,
            "currency": order.event.currency,
            "account_holder": self.settings.get("account_holder", ""),
            "iban": self.settings.get("iban", ""),
            "bic": self.settings.get("bic", ""),
            "bank_name": self.settings.get("bank_name", ""),
        }

    def order_pending_html(self, *, order: Order, payment: OrderPayment | None, request: HttpRequest) -> str:
        return render_to_string(
            "eventyay_tickets/payment/banktransfer_pending.html", self._details(order), request
        )

    def payment_info_text(self, *, order: Order) -> str:
        details = self._details(order)
        lines = [
            gettext("Please transfer {amount} {currency} to:").format(**details),
            gettext("Account holder: {account_holder}").format(**details),
            gettext("IBAN: {iban}").format(**details),
            gettext("BIC: {bic}").format(**details),
            gettext("Reference: {reference}").format(**details),
        ]
        return "\n".join(lines)
