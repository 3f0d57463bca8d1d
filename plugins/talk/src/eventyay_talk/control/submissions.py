"""The organizer's proposal list and detail, state changes and queued decisions."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import User
from eventyay.base.services.action_jobs import action_job_url
from eventyay.base.storage import serve_private_file
from eventyay.control.pagination import page_of
from eventyay.control.permissions import event_view, request_grant
from eventyay_talk.control import forms
from eventyay_talk.control.common import READ, WRITE, error_text, in_event_timezone, to
from eventyay_talk.jobs import decisions_apply_job_create
from eventyay_talk.models import Answer, Question, Submission, SubmissionStates
from eventyay_talk.selectors import is_reviewer_for
from eventyay_talk.services.submissions import (
    TRANSITIONS,
    submission_decision_queue,
    submission_state_change,
)


@event_view(READ)
@in_event_timezone
def submission_list(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    form = forms.SubmissionFilterForm(request.GET or None, event=ev)
    queryset = (
        Submission.objects.filter(event=ev)
        .select_related("track", "submission_type")
        .prefetch_related("speakers")
        .order_by("-created", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["state"]:
            queryset = queryset.filter(state=data["state"])
        if data["track"]:
            queryset = queryset.filter(track=data["track"])
        if data["submission_type"]:
            queryset = queryset.filter(submission_type=data["submission_type"])
        if data["q"]:
            term = data["q"].strip()
            matching_speakers = Submission.speakers.through.objects.filter(
                Q(user__fullname__icontains=term) | Q(user__email__icontains=term)
            ).values("submission_id")
            queryset = queryset.filter(
                Q(title__icontains=term) | Q(code__iexact=term) | Q(pk__in=matching_speakers)
            )
    counts = dict(Submission.objects.filter(event=ev).values_list("state").annotate(n=Count("pk")).order_by())
    pending = Submission.objects.filter(event=ev).exclude(pending_state="").count()
    page = page_of(queryset, request)
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "eventyay_talk/control/submissions.html",
        {
            "form": form,
            "page": page,
            "counts": [(label, counts.get(value, 0)) for value, label in SubmissionStates.choices],
            "pending": pending,
            "filters": filters.urlencode(),
        },
    )


@event_view(READ)
@in_event_timezone
def submission_detail(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    submission: Submission = get_object_or_404(
        Submission.objects.select_related("track", "submission_type").prefetch_related(
            "speakers", "answers__question", "answers__options"
        ),
        event=ev,
        code=code,
    )
    reviews = list(submission.reviews.select_related("user").prefetch_related("scores__category"))
    speaker_answers = list(
        Answer.objects.filter(
            question__event=ev,
            question__target=Question.Target.SPEAKER,
            person__in=submission.speakers.all(),
        )
        .select_related("question", "person")
        .prefetch_related("options")
        .order_by("person__email", "question__position", "question__pk")
    )
    allowed = [(state, SubmissionStates(state).label) for state in sorted(TRANSITIONS[submission.state])]
    return render(
        request,
        "eventyay_talk/control/submission.html",
        {
            "submission": submission,
            "transitions": allowed,
            "reviews": reviews,
            "speaker_answers": speaker_answers,
            "pending_label": (
                SubmissionStates(submission.pending_state).label if submission.pending_state else ""
            ),
        },
    )


@require_POST
@event_view(READ, post=WRITE)
def submission_state(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    submission = get_object_or_404(Submission, event=request.event, code=code)  # type: ignore[attr-defined]
    form = forms.StateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a state."))
        return to(request, "control.submission", code=code)
    try:
        submission_state_change(
            submission=submission, new_state=form.cleaned_data["state"], actor=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("The proposal is now %(state)s.")
            % {"state": SubmissionStates(form.cleaned_data["state"]).label},
        )
    return to(request, "control.submission", code=code)


@require_POST
@event_view(READ, post=WRITE)
def submission_queue(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    submission = get_object_or_404(Submission, event=request.event, code=code)  # type: ignore[attr-defined]
    form = forms.QueueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a state."))
        return to(request, "control.submission", code=code)
    try:
        submission_decision_queue(submission=submission, state=form.cleaned_data["state"], actor=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The decision has been queued."))
    return to(request, "control.submission", code=code)


@require_POST
@event_view(READ, post=WRITE)
def decisions_apply(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    """Each decision sends a mail: a job applies them and its page shows progress and refusals."""
    job = decisions_apply_job_create(event=request.event, user=request.user)  # type: ignore[attr-defined,arg-type]
    return redirect(action_job_url(job))


@event_view()
def answer_file(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponseBase:
    """A file a speaker uploaded, under the name it was uploaded with.

    For team members who may read the event's proposals, and for reviewers of the proposal the
    file belongs to (files about speakers are not theirs to see).
    """
    ev = request.event  # type: ignore[attr-defined]
    answer: Answer = get_object_or_404(
        Answer.objects.select_related("submission__event").exclude(answer_file__isnull=True),
        question__event=ev,
        pk=pk,
        answer_file__gt="",
    )
    if not request_grant(request, ev.organizer).has_event_permission(ev, READ):
        submission = answer.submission
        if submission is None or not is_reviewer_for(user=cast(User, request.user), submission=submission):
            raise PermissionDenied(_("You cannot see this proposal."))
    return serve_private_file(request, answer.answer_file.name, filename=answer.answer or "upload")
