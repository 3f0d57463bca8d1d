"""Business rules: views, the API and tasks call these, never the models directly."""

from typing import Any

from django.db import transaction

from eventyay.base.models import Event
from eventyay.plugin_api import log_action, webhook_emit
from eventyay_badges.models import Item


def item_create(*, event: Event, name: str, actor: Any = None) -> Item:
    """Create an item with an audit entry, in one transaction."""
    with transaction.atomic():
        item = Item.objects.create(event=event, name=name)
        log_action(
            action="badges.item.created",
            organizer=event.organizer,
            event=event,
            obj=item,
            actor=actor,
            data={"name": name},
        )
        # Written in this transaction: a rolled-back item sends nothing; sending starts after commit.
        webhook_emit(action="badges.item.created", event=event, object_id=item.pk, data={"name": name})
    return item
