"""Background work: store a viewer sample for every room of an event (e.g. from a beat schedule)."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event
from eventyay_video import services
from eventyay_video.models import Room, RoomStream
from eventyay_video.streaming import stream_health_check


@shared_task
def viewer_samples_record(event_id: int) -> int:
    """Sample the live viewer counts of the event's rooms; returns how many were stored."""
    from django_scopes import scopes_disabled

    with scopes_disabled():
        event = Event.objects.select_related("organizer").filter(pk=event_id).first()
    if event is None:
        return 0
    stored = 0
    with scope(organizer=event.organizer):
        for room_id in Room.objects.filter(event=event).values_list("pk", flat=True):
            count = cache.get(f"eventyay_video:viewers:{room_id}")
            if count is not None:
                services.viewer_sample_record(room_id=room_id, count=int(count))
                stored += 1
    return stored


@shared_task
def stream_health_check_all() -> int:
    """Check the primary stream of every room on an active streaming server (e.g. every 30 s
    from a beat schedule); returns how many primaries are down."""
    with scopes_disabled():
        streams = list(RoomStream.objects.filter(server__active=True).select_related("server", "room"))
        return sum(0 if stream_health_check(stream=stream) else 1 for stream in streams)
