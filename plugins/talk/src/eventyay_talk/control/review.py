"""Review configuration (phases, score categories), the review dashboard and the review form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import User
from eventyay.control.forms import add_service_errors
from eventyay.control.permissions import event_view, request_grant
from eventyay_talk.control import forms
from eventyay_talk.control.common import READ, REVIEW, WRITE, error_text, in_event_timezone, to
from eventyay_talk.models import ReviewPhase, ScoreCategory, Submission
from eventyay_talk.selectors import active_review_phase, is_reviewer_for, review_dashboard, reviewer_tracks
from eventyay_talk.services.config import config_object_delete, config_object_save
from eventyay_talk.services.reviews import review_phase_activate, review_save, score_category_save


@event_view(READ)
def phases(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    rows = list(ReviewPhase.objects.filter(event=request.event))  # type: ignore[attr-defined]
    categories = list(
        ScoreCategory.objects.filter(event=request.event).prefetch_related("scores")  # type: ignore[attr-defined]
    )
    return render(
        request,
        "eventyay_talk/control/review_settings.html",
        {"phases": rows, "categories": categories, "tab": "review"},
    )


@event_view(READ, post=WRITE)
@in_event_timezone
def phase_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    instance = get_object_or_404(ReviewPhase, event=ev, pk=pk) if pk else ReviewPhase(event=ev)
    if request.method == "POST" and request.POST.get("delete") and instance.pk:
        try:
            config_object_delete(event=ev, instance=instance, actor=request.user)
        except ValidationError as error:
            messages.error(request, error_text(error))
        return to(request, "control.review.settings")
    form = forms.ReviewPhaseForm(request.POST or None, instance=instance, event=ev)
    if request.method == "POST" and form.is_valid():
        try:
            config_object_save(event=ev, instance=form.save(commit=False), actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return to(request, "control.review.settings")
    return render(
        request,
        "eventyay_talk/control/form.html",
        {
            "form": form,
            "title": _("Review phase"),
            "object": instance if instance.pk else None,
            "back": "control.review.settings",
            "delete": bool(instance.pk),
        },
    )


@require_POST
@event_view(READ, post=WRITE)
def phase_activate(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    phase = get_object_or_404(ReviewPhase, event=request.event, pk=pk)  # type: ignore[attr-defined]
    review_phase_activate(phase=phase, actor=request.user)
    messages.success(request, _("“%s” is now the active review phase.") % phase.name)
    return to(request, "control.review.settings")


@event_view(READ, post=WRITE)
def category_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    instance = get_object_or_404(ScoreCategory, event=ev, pk=pk) if pk else ScoreCategory(event=ev)
    form = forms.ScoreCategoryForm(request.POST or None, instance=instance, event=ev)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values: dict[Decimal | int | str, Any] = dict(data["values"])
        try:
            score_category_save(
                event=ev,
                name=data["name"].data,
                weight=data["weight"],
                values=values,
                required=data["required"],
                category=instance if instance.pk else None,
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return to(request, "control.review.settings")
    return render(
        request,
        "eventyay_talk/control/form.html",
        {
            "form": form,
            "title": _("Score category"),
            "object": instance if instance.pk else None,
            "back": "control.review.settings",
        },
    )


def _require_reviewer(request: HttpRequest) -> None:
    """Reviewers come from the review permission or from a reviewer team of the event."""
    ev = request.event  # type: ignore[attr-defined]
    if request_grant(request, ev.organizer).has_event_permission(ev, REVIEW):
        return
    reviews, _tracks = reviewer_tracks(user=request.user, event=ev)  # type: ignore[arg-type]
    if not reviews:
        raise PermissionDenied(_("You are no reviewer of this event."))


#: sort key -> function giving the key of a dashboard row (missing scores sort last).
SORTS = {
    "score": lambda row: (row.avg_score is None, -(row.avg_score or 0), row.pk),
    "count": lambda row: (-row.review_count, row.pk),
    "title": lambda row: (row.title.lower(), row.pk),
    "state": lambda row: (row.state, row.pk),
}


@event_view()
def dashboard(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    _require_reviewer(request)
    ev = request.event  # type: ignore[attr-defined]
    rows = review_dashboard(ev, request.user)  # type: ignore[arg-type]
    sort = request.GET.get("sort", "score")
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), SORTS["score"])
    rows.sort(key=key, reverse=descending)
    return render(
        request,
        "eventyay_talk/control/review_dashboard.html",
        {"rows": rows, "sort": sort, "phase": active_review_phase(ev)},
    )


@event_view(None)
def review_form(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    _require_reviewer(request)
    ev = request.event  # type: ignore[attr-defined]
    user = cast(User, request.user)
    submission: Submission = get_object_or_404(
        Submission.objects.select_related("track", "submission_type", "event"), event=ev, code=code
    )
    if not is_reviewer_for(user=user, submission=submission):
        raise PermissionDenied(_("You are not a reviewer of this proposal."))
    phase = active_review_phase(ev)
    own = submission.reviews.filter(user=user).prefetch_related("scores").first()
    categories = list(ScoreCategory.objects.filter(event=ev, active=True).prefetch_related("scores"))
    can_review = phase is None or phase.can_review
    form = forms.ReviewForm(request.POST or None, categories=categories, review=own)
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied(_("Reviews cannot be written in the current review phase."))
        if form.is_valid():
            try:
                review_save(
                    submission=submission,
                    user=user,
                    text=form.cleaned_data["text"],
                    scores=form.chosen_scores(),
                    actor=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Your review has been saved."))
                return to(request, "control.review.dashboard")
    show_others = phase is None or phase.can_see_other_reviews == ReviewPhase.OtherReviews.ALWAYS
    if phase is not None and phase.can_see_other_reviews == ReviewPhase.OtherReviews.AFTER_REVIEW:
        show_others = own is not None
    others = (
        list(submission.reviews.exclude(user=user).select_related("user").prefetch_related("scores"))
        if show_others
        else []
    )
    blind = phase is not None and not phase.can_see_speaker_names
    speakers = [] if blind else list(submission.speakers.all())
    answers = list(
        submission.answers.select_related("question").order_by("question__position", "question__pk")
    )
    return render(
        request,
        "eventyay_talk/control/review_form.html",
        {
            "submission": submission,
            "form": form,
            "can_review": can_review,
            "blind": blind,
            "speakers": speakers,
            "answers": answers,
            "others": others,
            "show_others": show_others,
            "phase": phase,
        },
    )
