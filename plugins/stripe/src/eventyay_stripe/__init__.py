"""eventyay-stripe: Stripe Checkout payments, refunds and webhooks for the ticket shop."""

__version__ = "1.0.0"
