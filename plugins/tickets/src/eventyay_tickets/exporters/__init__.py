"""The tickets plugin's exports: orders, attendees, check-in lists, invoice data, vouchers, JSON.

Registered through ``register_data_exporters`` (one event) and, for orders and attendees,
``register_organizer_exporters`` (all events of an organizer that have the plugin on). Every
one needs the plugin's permission to read orders (``event.orders:read``).
"""

from __future__ import annotations

from eventyay.base.exporters import BaseExporter
from eventyay_tickets.exporters.accounting import InvoiceDataExporter
from eventyay_tickets.exporters.attendees import (
    AttendeeListExporter,
    AttendeePDFExporter,
    CheckinListPDFExporter,
)
from eventyay_tickets.exporters.dump import TicketDataExporter
from eventyay_tickets.exporters.orders import OrdersExporter
from eventyay_tickets.exporters.vouchers import VoucherExporter

EVENT_EXPORTERS: list[type[BaseExporter]] = [
    OrdersExporter,
    AttendeeListExporter,
    AttendeePDFExporter,
    CheckinListPDFExporter,
    InvoiceDataExporter,
    VoucherExporter,
    TicketDataExporter,
]
#: Exporters that also run across an organizer's events (they add an event column).
ORGANIZER_EXPORTERS: list[type[BaseExporter]] = [OrdersExporter, AttendeeListExporter]

__all__ = [
    "EVENT_EXPORTERS",
    "ORGANIZER_EXPORTERS",
    "AttendeeListExporter",
    "AttendeePDFExporter",
    "CheckinListPDFExporter",
    "InvoiceDataExporter",
    "OrdersExporter",
    "TicketDataExporter",
    "VoucherExporter",
]
