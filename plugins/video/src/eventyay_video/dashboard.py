"""The online venue's box on the event dashboard of the control panel: viewers now and peaks."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import Event
from eventyay.base.permissions import grant_for_user
from eventyay.base.plugins import DashboardWidget
from eventyay_video.consumers import viewers_key
from eventyay_video.models import Room


def viewers_widgets(
    event: Event, request: HttpRequest, *, permissions: tuple[str, ...]
) -> list[DashboardWidget]:
    """Viewers online now (the live counts) and each room's peak (stored samples), in one query.

    Shown to members holding any of ``permissions`` on the event.
    """
    grant = grant_for_user(request.user, event.organizer)
    if not any(grant.has_event_permission(event, permission) for permission in permissions):
        return []
    rooms = list(Room.objects.filter(event=event).annotate(peak=Max("viewer_samples__count")))
    live = cache.get_many([viewers_key(room.pk) for room in rooms])
    now = {room.pk: max(0, int(live.get(viewers_key(room.pk)) or 0)) for room in rooms}
    html = render_to_string(
        "eventyay_video/control/_viewers_widget.html",
        {
            "rows": [{"room": room, "now": now[room.pk], "peak": room.peak or 0} for room in rooms],
            "total": sum(now.values()),
            "reports_url": reverse(
                "plugins:video:control.reports",
                kwargs={"organizer": event.organizer.slug, "event": event.slug},
            ),
        },
        request,
    )
    return [DashboardWidget(title=_("Online viewers"), html=html, key="video-viewers", priority=10)]
