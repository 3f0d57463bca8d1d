"""Public model names other plugins may rely on (see the plugin's README)."""

from eventyay_tickets.models.catalogue import (
    Category,
    Product,
    ProductVariation,
    Question,
    QuestionOption,
    Quota,
    TaxRule,
    Voucher,
)
from eventyay_tickets.models.checkin import Checkin, CheckinList
from eventyay_tickets.models.imports import PretixImport, PretixImportRecord
from eventyay_tickets.models.invoices import Invoice, InvoiceCounter
from eventyay_tickets.models.orders import (
    CartPosition,
    Order,
    OrderPayment,
    OrderPosition,
    OrderRefund,
    QuestionAnswer,
)

__all__ = [
    "CartPosition",
    "Category",
    "Checkin",
    "CheckinList",
    "Invoice",
    "InvoiceCounter",
    "Order",
    "OrderPayment",
    "OrderPosition",
    "OrderRefund",
    "Product",
    "PretixImport",
    "PretixImportRecord",
    "ProductVariation",
    "Question",
    "QuestionAnswer",
    "QuestionOption",
    "Quota",
    "TaxRule",
    "Voucher",
]

# Connects the receivers that keep memoised catalogue data in step with the rows.
from eventyay_tickets.models import versions as _versions  # noqa: F401
