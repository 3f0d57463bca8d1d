"""Connections to a CMS, the pages pulled from it, and what is pushed into it."""

from eventyay_cms.models.connections import Connection, SyncLogEntry
from eventyay_cms.models.pull import PulledPage
from eventyay_cms.models.push import OutboxEntry, PushMapping

__all__ = ["Connection", "OutboxEntry", "PulledPage", "PushMapping", "SyncLogEntry"]
