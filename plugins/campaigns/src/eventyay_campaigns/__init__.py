"""eventyay-campaigns: the organizer's attendee CRM (contacts, event history, segments)."""

__version__ = "1.0.0"
