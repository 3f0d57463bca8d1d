"""Payment providers: the base class third-party providers subclass, and the built-in ones."""

from eventyay_tickets.payment.base import BasePaymentProvider, PaymentError
from eventyay_tickets.payment.builtin import BankTransferProvider, FreeProvider

__all__ = ["BankTransferProvider", "BasePaymentProvider", "FreeProvider", "PaymentError"]
