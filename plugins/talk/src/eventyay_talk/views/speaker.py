"""The speaker area: a speaker's proposals, editing, state actions, co-speakers, profile."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.storage import serve_private_file
from eventyay_talk import selectors
from eventyay_talk.forms import (
    InviteForm,
    ProfileForm,
    QuestionsForm,
    SubmissionInfoForm,
    format_availabilities,
)
from eventyay_talk.models import Answer, Question, Submission, SubmissionInvitation, SubmissionType
from eventyay_talk.services.cfp import answers_save
from eventyay_talk.services.submissions import (
    SPEAKER_TRANSITIONS,
    speaker_profile_update,
    submission_invitation_accept,
    submission_speaker_invite,
    submission_state_change,
    submission_update,
)
from eventyay_talk.views import public_event, signed_in_user
from eventyay_talk.views.cfp import _add_errors, _url


def _own_submission(request: HttpRequest, code: str) -> Submission:
    ev = public_event(request)
    submission = (
        Submission.objects.filter(event=ev, code=code, speakers=signed_in_user(request))
        .select_related("event__organizer", "submission_type", "track")
        .first()
    )
    if submission is None:
        raise Http404()
    return submission


@login_required
def submissions(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    rows = list(selectors.speaker_submissions(ev, signed_in_user(request)))
    return render(
        request,
        "eventyay_talk/speaker_submissions.html",
        {"event": ev, "submissions": rows, "cfp_open": selectors.cfp_is_open(ev)},
    )


@login_required
def submission_detail(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    submission = _own_submission(request, code)
    ev = submission.event
    the_cfp = selectors.cfp_of(ev)
    can_edit = selectors.speaker_can_edit(submission)
    types = list(SubmissionType.objects.filter(event=ev))
    questions = list(
        Question.objects.filter(event=ev, target=Question.Target.SUBMISSION, active=True).prefetch_related(
            "options"
        )
    )
    answers = {a.question_id: a for a in submission.answers.prefetch_related("options")}
    initial_answers: dict[str, Any] = {}
    for question in questions:
        answer = answers.get(question.pk)
        if answer is None:
            continue
        if question.variant == Question.Variant.FILE:
            # The stored file is kept unless a new one is uploaded; its name is no form value.
            continue
        if question.variant == Question.Variant.MULTIPLE_CHOICE:
            initial_answers[f"question_{question.pk}"] = [str(o.pk) for o in answer.options.all()]
        elif question.variant == Question.Variant.CHOICE:
            initial_answers[f"question_{question.pk}"] = next((str(o.pk) for o in answer.options.all()), None)
        else:
            initial_answers[f"question_{question.pk}"] = answer.answer
    initial = {
        "title": submission.title,
        "abstract": submission.abstract,
        "description": submission.description,
        "notes": submission.notes,
        "duration": submission.duration,
        "track": submission.track_id,
        "submission_type": submission.submission_type_id,
        "content_locale": submission.content_locale,
    }
    form = SubmissionInfoForm(initial=initial, event=ev, cfp=the_cfp, types=types)
    questions_form = QuestionsForm(initial=initial_answers, questions=questions)
    files = [answers[q.pk] for q in questions if q.pk in answers and answers[q.pk].answer_file]
    if request.method == "POST":
        if not can_edit:
            messages.error(request, _("This proposal can no longer be changed."))
            return redirect(request.path)
        form = SubmissionInfoForm(request.POST, request.FILES, event=ev, cfp=the_cfp, types=types)
        if "image" in form.fields and submission.image:
            form.fields["image"].required = False
        questions_form = QuestionsForm(
            request.POST, request.FILES, questions=questions, initial=initial_answers
        )
        for answer in files:
            questions_form.fields[f"question_{answer.question_id}"].required = False
        if form.is_valid() and questions_form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "image" or v}
            try:
                with transaction.atomic():
                    submission_update(submission=submission, data=data, actor=request.user, by_speaker=True)
                    answers_save(
                        event=ev,
                        target=Question.Target.SUBMISSION,
                        values=questions_form.values(),
                        submission=submission,
                        partial=submission.state == "draft",
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Your changes have been saved."))
                return redirect(request.path)
    actions = [state for state in SPEAKER_TRANSITIONS.get(submission.state, ()) if state]
    context = {
        "event": ev,
        "submission": submission,
        "form": form,
        "questions_form": questions_form,
        "can_edit": can_edit,
        "actions": sorted(actions),
        "invite_form": InviteForm(),
        "speakers": list(submission.speakers.all()),
        "invitations": list(submission.invitations.all()),
        "files": files,
    }
    return render(request, "eventyay_talk/speaker_submission.html", context)


@login_required
def answer_file(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponseBase:
    """A file the speaker uploaded, for a proposal of theirs or about themselves."""
    ev = public_event(request)
    user = signed_in_user(request)
    answer = (
        Answer.objects.filter(question__event=ev, pk=pk)
        .filter(Q(submission__speakers=user) | Q(person=user))
        .exclude(answer_file="")
        .exclude(answer_file__isnull=True)
        .first()
    )
    if answer is None:
        raise Http404()
    return serve_private_file(request, answer.answer_file.name, filename=answer.answer or "upload")


@login_required
@require_POST
def submission_state(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    submission = _own_submission(request, code)
    new_state = request.POST.get("state", "")
    if new_state not in SPEAKER_TRANSITIONS.get(submission.state, ()):
        messages.error(request, _("You cannot do this with your proposal now."))
    else:
        try:
            submission_state_change(submission=submission, new_state=new_state, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your proposal is now “%s”.") % submission.get_state_display())
    return redirect(_url(submission.event, "speaker.submission", code=submission.code))


@login_required
@require_POST
def submission_invite(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    submission = _own_submission(request, code)
    cfp = selectors.cfp_of(submission.event)
    form = InviteForm(request.POST)
    if not cfp.asks("additional_speaker"):
        messages.error(request, _("This event does not take co-speakers."))
    elif form.is_valid():
        try:
            submission_speaker_invite(
                submission=submission, email=form.cleaned_data["email"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("We sent an invitation to %s.") % form.cleaned_data["email"])
    else:
        messages.error(request, _("Please enter a valid email address."))
    return redirect(_url(submission.event, "speaker.submission", code=submission.code))


def invitation_accept(request: HttpRequest, organizer: str, event: str, token: str) -> HttpResponse:
    ev = public_event(request)
    invitation = (
        SubmissionInvitation.objects.filter(submission__event=ev, token=token)
        .select_related("submission")
        .first()
    )
    if invitation is None:
        raise Http404()
    if not request.user.is_authenticated:
        login_url = reverse("control:auth.login")
        return render(
            request,
            "eventyay_talk/invitation.html",
            {"event": ev, "invitation": invitation, "login_url": f"{login_url}?next={request.path}"},
        )
    if request.method == "POST":
        submission = submission_invitation_accept(invitation=invitation, user=signed_in_user(request))
        messages.success(request, _("You are now a speaker of “%s”.") % submission.title)
        return redirect(_url(ev, "speaker.profile"))
    return render(request, "eventyay_talk/invitation.html", {"event": ev, "invitation": invitation})


@login_required
def profile(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    the_cfp = selectors.cfp_of(ev)
    user = signed_in_user(request)
    current = selectors.speaker_profile(ev, user)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, event=ev, cfp=the_cfp)
        if current is not None and current.avatar and "avatar" in form.fields:
            form.fields["avatar"].required = False
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "avatar" or v}
            try:
                speaker_profile_update(event=ev, user=user, data=data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Your profile has been saved."))
                return redirect(request.path)
    else:
        initial = {"name": user.get_full_name()}
        if current is not None:
            initial.update(
                name=current.display_name,
                biography=current.biography,
                availabilities=format_availabilities(current.availabilities, ev.tz),
            )
        form = ProfileForm(initial=initial, event=ev, cfp=the_cfp)
        if current is not None and current.avatar and "avatar" in form.fields:
            form.fields["avatar"].required = False
    return render(
        request, "eventyay_talk/speaker_profile.html", {"event": ev, "form": form, "profile": current}
    )
