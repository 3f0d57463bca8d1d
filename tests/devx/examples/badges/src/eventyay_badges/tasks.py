"""A Celery task that runs per event: it takes ids, re-loads and opens the tenant scope."""

from celery import shared_task
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event
from eventyay.plugin_api import event_plugin_settings
from eventyay_badges.models import Item


@shared_task(name="eventyay_badges.tasks.badges_count", ignore_result=True)
def badges_count(event_id: int) -> int:
    with scopes_disabled():  # the event tells which scope to open
        event = Event.objects.select_related("organizer").get(pk=event_id)
    with scope(organizer=event.organizer):
        return Item.objects.filter(event=event).count()


def paper_size(event: Event) -> str:
    """The event's setting, with the form's default until an organizer saved one (in scope)."""
    return event_plugin_settings(event=event, plugin="badges").get("paper_size", "a6")
