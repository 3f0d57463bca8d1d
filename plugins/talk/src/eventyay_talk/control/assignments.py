"""The reviewer assignment page: by reviewer, by proposal, and balanced in bulk."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from eventyay.control.permissions import event_view
from eventyay_talk.assignments import assignment_overview
from eventyay_talk.control.common import READ, WRITE, error_text, to
from eventyay_talk.control.forms import BalanceForm
from eventyay_talk.services.assignments import reviewer_assignments_balance, reviewer_assignments_replace


def _ids(values: list[str]) -> set[int]:
    try:
        return {int(value) for value in values}
    except ValueError:
        raise ValidationError(_("Choose proposals and reviewers from the lists."))


def _save_by_hand(request: HttpRequest, by: str) -> None:
    """Each shown row posts its whole selection, so the rows posted are replaced."""
    post = request.POST
    event = request.event  # type: ignore[attr-defined]
    if by == "reviewer":
        rows = _ids(post.getlist("reviewers"))
        pairs = {(s, row) for row in rows for s in _ids(post.getlist(f"reviewer-{row}"))}
        added, removed = reviewer_assignments_replace(
            event=event,
            pairs=pairs,
            reviewer_ids=rows,
            actor=request.user,  # type: ignore[attr-defined]
        )
    else:
        rows = _ids(post.getlist("submissions"))
        pairs = {(row, u) for row in rows for u in _ids(post.getlist(f"submission-{row}"))}
        added, removed = reviewer_assignments_replace(
            event=event,
            pairs=pairs,
            submission_ids=rows,
            actor=request.user,  # type: ignore[attr-defined]
        )
    messages.success(
        request, _("%(added)d assignments added, %(removed)d removed.") % {"added": added, "removed": removed}
    )


@event_view(READ, post=WRITE)
def assignments(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    by = "proposal" if request.GET.get("by") == "proposal" else "reviewer"
    balance = BalanceForm(request.POST if request.POST.get("action") == "balance" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "balance":
                if balance.is_valid():
                    count = reviewer_assignments_balance(
                        event=ev,
                        per_submission=balance.cleaned_data["per_submission"],
                        replace=balance.cleaned_data["replace"],
                        actor=request.user,
                    )
                    messages.success(request, _("%d assignments added.") % count)
                    return to(request, "control.review.assignments")
            else:
                _save_by_hand(request, by)
                response = to(request, "control.review.assignments")
                response["Location"] += f"?by={by}"
                return response
        except ValidationError as error:
            messages.error(request, error_text(error))
    overview = assignment_overview(ev)
    return render(
        request,
        "eventyay_talk/control/review_assignments.html",
        {"by": by, "balance": balance, **overview},
        status=400 if request.method == "POST" else 200,
    )
