import pytest
from django.db import transaction
from eventyay_badges.services import item_create

from eventyay.testing.capture import scoped

pytestmark = [pytest.mark.django_db, pytest.mark.plugins("badges")]


def test_creating_an_item_sends_the_webhook(captured_webhooks, organizer, event_with_plugins):
    captured_webhooks.subscribe(organizer, ["badges.item.created"])
    with scoped(event_with_plugins):
        item = item_create(event=event_with_plugins, name="Hello")
    (received,) = captured_webhooks.deliver()
    assert received.action == "badges.item.created"
    assert received.payload["event"] == "plugged"
    assert received.payload["object_id"] == item.pk
    assert received.payload["data"] == {"name": "Hello"}


def test_a_rolled_back_item_sends_nothing(captured_webhooks, organizer, event_with_plugins):
    captured_webhooks.subscribe(organizer, ["badges.item.created"])
    with scoped(event_with_plugins), pytest.raises(RuntimeError), transaction.atomic():
        item_create(event=event_with_plugins, name="Gone")
        raise RuntimeError("the change fails after the item was written")
    assert captured_webhooks.deliver() == []
