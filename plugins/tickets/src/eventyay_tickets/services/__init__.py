"""The tickets plugin's documented services (writes) and the errors they raise."""

from eventyay_tickets.services.bank import StatementResult, bank_statement_match
from eventyay_tickets.services.cart import cart_add, cart_expired_cleanup, cart_remove, new_cart_id
from eventyay_tickets.services.catalogue import catalogue_delete, catalogue_save, vouchers_create
from eventyay_tickets.services.errors import CapacityBusy, OrderError
from eventyay_tickets.services.orders import (
    order_approve,
    order_cancel,
    order_change_attendees,
    order_deny,
    order_expire,
    order_expire_if_due,
    order_extend,
    order_mark_paid,
    order_payment_start,
    order_place,
    order_place_from_cart,
    order_reactivate,
    order_resend_link,
    orders_expire_due,
    orders_send_expiry_reminders,
    payment_confirm,
    refund_done,
    refund_execute,
)
from eventyay_tickets.services.quotas import product_availability, quota_availability

__all__ = [
    "CapacityBusy",
    "OrderError",
    "StatementResult",
    "bank_statement_match",
    "cart_add",
    "cart_expired_cleanup",
    "cart_remove",
    "catalogue_delete",
    "catalogue_save",
    "new_cart_id",
    "order_approve",
    "order_cancel",
    "order_change_attendees",
    "order_deny",
    "order_expire",
    "order_expire_if_due",
    "order_extend",
    "order_mark_paid",
    "order_payment_start",
    "order_place",
    "order_place_from_cart",
    "order_reactivate",
    "order_resend_link",
    "orders_expire_due",
    "orders_send_expiry_reminders",
    "payment_confirm",
    "product_availability",
    "quota_availability",
    "refund_done",
    "refund_execute",
    "vouchers_create",
]
