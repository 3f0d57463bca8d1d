"""The talk box on the event dashboard of the control panel: proposals by state."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import DashboardWidget
from eventyay_talk.control.common import READ


def dashboard_widgets(event: Any, request: Any) -> list[DashboardWidget]:
    """One grouped query: how many proposals are in each state (drafts left out)."""
    from eventyay.control.permissions import request_grant
    from eventyay_talk.models import Submission
    from eventyay_talk.models.submission import SubmissionStates

    if not request_grant(request, event.organizer).has_event_permission(event, READ):
        return []
    counts = dict(
        Submission.objects.filter(event=event)
        .exclude(state=SubmissionStates.DRAFT)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [
        {"state": state, "label": label, "count": counts.get(state, 0)}
        for state, label in SubmissionStates.choices
        if state != SubmissionStates.DRAFT
    ]
    html = render_to_string(
        "eventyay_talk/control/_widget.html",
        {"event": event, "rows": rows, "total": sum(counts.values())},
        request,
    )
    return [DashboardWidget(title=_("Proposals"), html=html, key="talk", priority=20)]
