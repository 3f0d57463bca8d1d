from eventyay.base.models.content import ContentVersion
from eventyay.base.models.deferred import DeferredEffect
from eventyay.base.models.event import Event, EventPlugin
from eventyay.base.models.jobs import Job, ScheduledExport
from eventyay.base.models.log import LogEntry
from eventyay.base.models.organizer import Organizer, Team, TeamAPIToken, TeamInvite
from eventyay.base.models.outbox import OutgoingMail
from eventyay.base.models.settings import Setting
from eventyay.base.models.user import User
from eventyay.base.models.webhooks import WebHook, WebHookDelivery

__all__ = [
    "ContentVersion",
    "DeferredEffect",
    "Event",
    "EventPlugin",
    "Job",
    "LogEntry",
    "Organizer",
    "OutgoingMail",
    "ScheduledExport",
    "Setting",
    "Team",
    "TeamAPIToken",
    "TeamInvite",
    "User",
    "WebHook",
    "WebHookDelivery",
]
