"""The talk entries of the event navigation in the control panel; only pages the user may open."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import NavItem
from eventyay_talk.control.common import READ, REVIEW, SCHEDULE

#: (label, URL name, permission the page needs; None: the review permission or a reviewer team).
NAV = (
    (_("Call for papers"), "control.cfp", READ),
    (_("Proposals"), "control.submissions", READ),
    (_("Mails"), "control.mails", READ),
    (_("Reviews"), "control.review.dashboard", None),
    (_("Review settings"), "control.review.settings", READ),
    (_("Reviewer assignments"), "control.review.assignments", READ),
    (_("Rooms"), "control.rooms", SCHEDULE),
    (_("Schedule editor"), "control.schedule", SCHEDULE),
    (_("Import from pretalx"), "control.pretalx_import", SCHEDULE),
    (_("Import a schedule XML"), "control.schedule_xml_import", SCHEDULE),
)


def control_nav(event: Any, request: Any) -> list[NavItem]:
    from eventyay.control.permissions import request_grant
    from eventyay_talk.selectors import reviewer_tracks

    grant = request_grant(request, event.organizer)
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}

    def allowed(permission: str | None) -> bool:
        if permission is not None:
            return grant.has_event_permission(event, permission)
        # Members of a reviewer team review without any team permission of their own.
        if grant.has_event_permission(event, REVIEW):
            return True
        return reviewer_tracks(user=request.user, event=event)[0]

    return [
        NavItem(
            label=str(label),
            url=reverse(f"plugins:talk:{name}", kwargs=kwargs),
            active_prefix=f"plugins:talk:{name}",
        )
        for label, name, permission in NAV
        if allowed(permission)
    ]
