"""The campaigns plugin's models: contacts and their history, then campaigns and messaging."""

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
from eventyay_campaigns.models.messaging import (
    UTM_FIELDS,
    Attribution,
    Campaign,
    Message,
    MessageEvent,
    Suppression,
)

__all__ = [
    "SEARCH_FIELDS",
    "UTM_FIELDS",
    "Attribution",
    "Campaign",
    "Contact",
    "ContactEvent",
    "ContactProduct",
    "ContactTag",
    "CustomFieldDefinition",
    "Message",
    "MessageEvent",
    "Segment",
    "Suppression",
    "Tag",
]
