"""The public CfP page and the multi-step submission form (no JavaScript needed).

Progress is kept in the session until the last step, so nothing is lost when going back and
forth; logged-in speakers can also save a draft proposal at the first steps.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.login import login_complete, login_with_password
from eventyay_talk import selectors
from eventyay_talk.forms import LoginForm, ProfileForm, QuestionsForm, SignupForm, SubmissionInfoForm
from eventyay_talk.models import AccessCode, Question, SubmissionType, Track
from eventyay_talk.services.accounts import speaker_account_create
from eventyay_talk.services.cfp import (
    DraftUpload,
    access_code_redeem,
    answers_save,
    draft_upload_discard,
    draft_upload_open,
    draft_upload_save,
)
from eventyay_talk.services.submissions import speaker_profile_update, submission_create
from eventyay_talk.views import public_event, signed_in_user

STEPS = ("info", "questions", "account", "profile")
STEP_LABELS = {
    "info": _("Proposal"),
    "questions": _("Questions"),
    "account": _("Account"),
    "profile": _("Speaker profile"),
}


def _url(event: Event, name: str, **kwargs: Any) -> str:
    return reverse(
        f"plugins:talk:{name}", kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs}
    )


def cfp(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    the_cfp = selectors.cfp_of(ev)
    context = {
        "event": ev,
        "cfp": the_cfp,
        "is_open": selectors.cfp_is_open(ev),
        "types": list(SubmissionType.objects.filter(event=ev)),
        "tracks": list(Track.objects.filter(event=ev)),
    }
    return render(request, "eventyay_talk/cfp.html", context)


def _state(request: HttpRequest, event: Event) -> dict[str, Any]:
    return request.session.setdefault(f"talk_submit_{event.pk}", {})


def _save_state(request: HttpRequest, event: Event, state: dict[str, Any]) -> None:
    request.session[f"talk_submit_{event.pk}"] = state
    request.session.modified = True


def _stash(event: Event, state: dict[str, Any], upload: Any) -> DraftUpload:
    """Keep an uploaded file until the proposal exists, for this session's draft only."""
    # A secret of this session (kept across the login at the account step) that scopes the
    # uploads, so no other visitor can name them.
    draft_id = state.setdefault("draft_id", secrets.token_urlsafe(24))
    return draft_upload_save(event=event, draft_id=draft_id, upload=upload)


def _access_code(event: Event, state: dict[str, Any]) -> AccessCode | None:
    code = state.get("access_code")
    if not code:
        return None
    access_code = (
        AccessCode.objects.filter(event=event, code=code)
        .prefetch_related("submission_types", "tracks")
        .first()
    )
    return access_code if access_code is not None and access_code.is_valid() else None


def _questions(event: Event, target: str) -> list[Question]:
    return list(Question.objects.filter(event=event, target=target, active=True).prefetch_related("options"))


def _steps(event: Event, request: HttpRequest) -> list[str]:
    steps = ["info"]
    if _questions(event, Question.Target.SUBMISSION):
        steps.append("questions")
    if not request.user.is_authenticated:
        steps.append("account")
    steps.append("profile")
    return steps


def submit_start(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    state = _state(request, ev)
    if request.GET.get("access_code"):
        state["access_code"] = request.GET["access_code"].strip()
    _save_state(request, ev, state)
    return redirect(_url(ev, "submit.step", step="info"))


def submit_step(request: HttpRequest, organizer: str, event: str, step: str) -> HttpResponse:
    ev = public_event(request)
    if step not in STEPS:
        raise Http404()
    state = _state(request, ev)
    access_code = _access_code(ev, state)
    types = selectors.submission_types_open(ev, access_code=access_code)
    if not types:
        return render(request, "eventyay_talk/cfp_closed.html", {"event": ev}, status=200)
    steps = _steps(ev, request)
    if step not in steps:
        following = [s for s in steps if STEPS.index(s) > STEPS.index(step)]
        return redirect(_url(ev, "submit.step", step=following[0] if following else "info"))
    if step != "info" and "info" not in state:
        return redirect(_url(ev, "submit.step", step="info"))
    handler = {
        "info": _step_info,
        "questions": _step_questions,
        "account": _step_account,
        "profile": _step_profile,
    }
    response = handler[step](request, ev, state, types, access_code)
    if isinstance(response, dict):
        index = steps.index(step)
        context = {
            "event": ev,
            "step": step,
            "steps": [(s, STEP_LABELS[s], i <= index) for i, s in enumerate(steps)],
            "previous": _url(ev, "submit.step", step=steps[index - 1]) if index else None,
            "can_save_draft": request.user.is_authenticated and step in ("info", "questions"),
            **response,
        }
        return render(request, "eventyay_talk/submit.html", context)
    return response


def _next(request: HttpRequest, event: Event, step: str) -> HttpResponse:
    steps = _steps(event, request)
    return redirect(_url(event, "submit.step", step=steps[steps.index(step) + 1]))


def _step_info(request: HttpRequest, ev: Event, state: dict[str, Any], types: list, access_code: Any) -> Any:
    the_cfp = selectors.cfp_of(ev)
    if request.method == "POST":
        form = SubmissionInfoForm(request.POST, request.FILES, event=ev, cfp=the_cfp, types=types)
        if form.is_valid():
            data = dict(form.cleaned_data)
            info = {k: v for k, v in data.items() if k not in ("track", "submission_type", "image")}
            info["track"] = data["track"].pk if data.get("track") else None
            info["submission_type"] = data["submission_type"].pk
            if data.get("image"):
                info["image"] = _stash(ev, state, data["image"])
            elif state.get("info", {}).get("image"):
                info["image"] = state["info"]["image"]
            if not selectors.cfp_is_open(
                ev, submission_type=data["submission_type"], track=data.get("track"), access_code=access_code
            ):
                form.add_error("submission_type", _("The CfP for this session type is closed."))
            else:
                state["info"] = info
                _save_state(request, ev, state)
                if request.POST.get("action") == "draft" and request.user.is_authenticated:
                    return _save_draft(request, ev, state)
                return _next(request, ev, "info")
    else:
        form = SubmissionInfoForm(initial=state.get("info"), event=ev, cfp=the_cfp, types=types)
    return {"form": form, "cfp": the_cfp}


def _step_questions(
    request: HttpRequest, ev: Event, state: dict[str, Any], types: list, access_code: Any
) -> Any:
    questions = _questions(ev, Question.Target.SUBMISSION)
    initial = {f"question_{k}": v for k, v in state.get("questions", {}).items()}
    if request.method == "POST":
        form = QuestionsForm(request.POST, request.FILES, questions=questions, initial=initial)
        if form.is_valid():
            values = {}
            for pk, value in form.values().items():
                values[str(pk)] = _stash(ev, state, value) if hasattr(value, "read") else value
                if value is None and state.get("questions", {}).get(str(pk)):
                    values[str(pk)] = state["questions"][str(pk)]
            state["questions"] = values
            _save_state(request, ev, state)
            if request.POST.get("action") == "draft" and request.user.is_authenticated:
                return _save_draft(request, ev, state)
            return _next(request, ev, "questions")
    else:
        form = QuestionsForm(questions=questions, initial=initial)
    return {"form": form}


def _step_account(
    request: HttpRequest, ev: Event, state: dict[str, Any], types: list, access_code: Any
) -> Any:
    login_form = LoginForm(prefix=None)
    signup_form = SignupForm()
    if request.method == "POST":
        if request.POST.get("action") == "login":
            login_form = LoginForm(request.POST)
            if login_form.is_valid():
                _save_state(request, ev, state)
                try:
                    # The core's login service: throttled, and an account with a second factor
                    # confirms it on the core's page first, which then returns to the profile step.
                    result = login_with_password(
                        request=request,
                        email=login_form.cleaned_data["login_email"],
                        password=login_form.cleaned_data["login_password"],
                        next_url=_url(ev, "submit.step", step="profile"),
                    )
                except ValidationError as exc:
                    _add_errors(login_form, exc)
                else:
                    return redirect(result.next_url)
        else:
            signup_form = SignupForm(request.POST)
            if signup_form.is_valid():
                try:
                    user = speaker_account_create(
                        event=ev,
                        email=signup_form.cleaned_data["signup_email"],
                        password=signup_form.cleaned_data["signup_password"],
                        name=signup_form.cleaned_data["signup_name"],
                    )
                except ValidationError as exc:
                    _add_errors(signup_form, exc)
                else:
                    login_complete(request=request, user=user)
                    _save_state(request, ev, state)
                    return redirect(_url(ev, "submit.step", step="profile"))
    return {"login_form": login_form, "signup_form": signup_form}


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@contextmanager
def _submission_data(ev: Event, state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The proposal's data from the session, its image opened from this draft's uploads.

    Runs inside the transaction that creates the proposal; once that commits, the stashed
    image (copied into the public storage by then) is deleted.
    """
    data = {k: v for k, v in state["info"].items() if v not in (None, "")}
    reference = data.get("image")
    if reference is None:
        yield data
        return
    draft_id = state.get("draft_id")
    with draft_upload_open(event=ev, draft_id=draft_id, reference=reference, field="image") as image:
        yield {**data, "image": image}
    draft_upload_discard(event=ev, draft_id=draft_id, reference=reference)


def _save_draft(request: HttpRequest, ev: Event, state: dict[str, Any]) -> HttpResponse:
    try:
        with transaction.atomic(), _submission_data(ev, state) as data:
            submission = submission_create(event=ev, speaker=signed_in_user(request), data=data, submit=False)
            answers_save(
                event=ev,
                target=Question.Target.SUBMISSION,
                values={int(k): v for k, v in state.get("questions", {}).items()},
                submission=submission,
                partial=True,
                draft_id=state.get("draft_id"),
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_url(ev, "submit.step", step="info"))
    request.session.pop(f"talk_submit_{ev.pk}", None)
    messages.success(request, _("Your draft was saved. You can finish and submit it here at any time."))
    return redirect(_url(ev, "speaker.submission", code=submission.code))


def _step_profile(
    request: HttpRequest, ev: Event, state: dict[str, Any], types: list, access_code: Any
) -> Any:
    from eventyay_talk.forms import format_availabilities

    if not request.user.is_authenticated:
        return redirect(_url(ev, "submit.step", step="account"))
    the_cfp = selectors.cfp_of(ev)
    user = signed_in_user(request)
    profile = selectors.speaker_profile(ev, user)
    questions = _questions(ev, Question.Target.SPEAKER)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, event=ev, cfp=the_cfp)
        if profile is not None and profile.avatar and "avatar" in form.fields:
            form.fields["avatar"].required = False
        questions_form = QuestionsForm(request.POST, request.FILES, questions=questions, prefix="speaker")
        if form.is_valid() and questions_form.is_valid():
            try:
                submission = _finish(request, ev, state, form, questions_form, access_code)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                request.session.pop(f"talk_submit_{ev.pk}", None)
                messages.success(request, _("Thank you! Your proposal has been submitted."))
                return redirect(_url(ev, "speaker.submission", code=submission.code))
    else:
        initial = {"name": user.get_full_name()}
        if profile is not None:
            initial.update(
                name=profile.display_name,
                biography=profile.biography,
                availabilities=format_availabilities(profile.availabilities, ev.tz),
            )
        form = ProfileForm(initial=initial, event=ev, cfp=the_cfp)
        if profile is not None and profile.avatar and "avatar" in form.fields:
            form.fields["avatar"].required = False
        questions_form = QuestionsForm(questions=questions, prefix="speaker")
    return {"form": form, "questions_form": questions_form}


def _finish(
    request: HttpRequest, ev: Event, state: dict[str, Any], form: Any, questions_form: Any, access_code: Any
) -> Any:
    user = signed_in_user(request)
    with transaction.atomic(), _submission_data(ev, state) as data:
        if access_code is not None:
            access_code = access_code_redeem(event=ev, code=access_code.code)
        profile_data = {k: v for k, v in form.cleaned_data.items() if k != "avatar" or v}
        speaker_profile_update(event=ev, user=user, data=profile_data)
        submission = submission_create(
            event=ev, speaker=user, data=data, submit=False, access_code=access_code
        )
        answers_save(
            event=ev,
            target=Question.Target.SUBMISSION,
            values={int(k): v for k, v in state.get("questions", {}).items()},
            submission=submission,
            draft_id=state.get("draft_id"),
        )
        answers_save(event=ev, target=Question.Target.SPEAKER, values=questions_form.values(), person=user)
        from eventyay_talk.services.submissions import submission_state_change

        submission_state_change(submission=submission, new_state="submitted", actor=user)
    return submission
