"""The campaigns plugin's models: contacts and their history, then campaigns and messaging."""

from eventyay_campaigns.models.automation import (
    AutomationAction,
    AutomationRule,
    AutomationRun,
    AutomationStep,
    MessageTemplate,
)
from eventyay_campaigns.models.contacts import (
    SEARCH_FIELDS,
    Contact,
    ContactEvent,
    ContactProduct,
    ContactTag,
    CustomFieldDefinition,
    Segment,
    Tag,
)
from eventyay_campaigns.models.inbound import InboundDelivery, InboundEndpoint
from eventyay_campaigns.models.messaging import (
    UTM_FIELDS,
    Attribution,
    Campaign,
    CampaignFigure,
    Message,
    MessageEvent,
    Suppression,
)
from eventyay_campaigns.models.sms import SmsSettings

__all__ = [
    "SEARCH_FIELDS",
    "UTM_FIELDS",
    "Attribution",
    "AutomationAction",
    "AutomationRule",
    "AutomationRun",
    "AutomationStep",
    "Campaign",
    "CampaignFigure",
    "Contact",
    "ContactEvent",
    "ContactProduct",
    "ContactTag",
    "CustomFieldDefinition",
    "InboundDelivery",
    "InboundEndpoint",
    "Message",
    "MessageEvent",
    "MessageTemplate",
    "Segment",
    "SmsSettings",
    "Suppression",
    "Tag",
]
