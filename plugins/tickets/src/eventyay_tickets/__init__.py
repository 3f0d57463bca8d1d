"""eventyay-tickets: the ticket shop, orders, quotas and payments of eventyay."""

__version__ = "1.0.0"
