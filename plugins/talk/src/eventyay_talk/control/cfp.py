"""CfP settings and the CfP's configuration objects: submission types, tracks, questions, access codes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from i18nfield.strings import LazyI18nString

from eventyay.control.forms import add_service_errors
from eventyay.control.permissions import event_view
from eventyay_talk.control import forms
from eventyay_talk.control.common import READ, WRITE, error_text, in_event_timezone, to
from eventyay_talk.models import AccessCode, Question, QuestionOption, SubmissionType, Track
from eventyay_talk.selectors import cfp_of
from eventyay_talk.services.cfp import access_code_save, cfp_update
from eventyay_talk.services.config import config_object_delete, config_object_save


@event_view(READ, post=WRITE)
@in_event_timezone
def cfp_settings(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    cfp = cfp_of(ev)
    form = forms.CfPForm(request.POST or None, cfp=cfp, event=ev)
    if request.method == "POST" and form.is_valid():
        try:
            cfp_update(event=ev, data=form.service_data(), actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The call for papers has been saved."))
            return to(request, "control.cfp")
    return render(request, "eventyay_talk/control/cfp.html", {"form": form, "tab": "cfp"})


#: kind -> (model, form, title)
KINDS: dict[str, tuple[Any, Any, Any]] = {
    "types": (SubmissionType, forms.SubmissionTypeForm, gettext_lazy("Submission types")),
    "tracks": (Track, forms.TrackForm, gettext_lazy("Tracks")),
    "questions": (Question, forms.QuestionForm, gettext_lazy("Questions")),
}


def _kind(kind: str) -> tuple[Any, Any, Any]:
    if kind not in KINDS:
        raise Http404()
    return KINDS[kind]


@event_view(READ)
def config_list(request: HttpRequest, organizer: str, event: str, kind: str) -> HttpResponse:
    model, _form, title = _kind(kind)
    objects = list(model.objects.filter(event=request.event))  # type: ignore[attr-defined]
    return render(
        request,
        "eventyay_talk/control/config_list.html",
        {"objects": objects, "kind": kind, "title": title, "tab": kind},
    )


@event_view(READ, post=WRITE)
@in_event_timezone
def config_edit(
    request: HttpRequest, organizer: str, event: str, kind: str, pk: int | None = None
) -> HttpResponse:
    model, form_class, title = _kind(kind)
    ev = request.event  # type: ignore[attr-defined]
    instance = get_object_or_404(model, event=ev, pk=pk) if pk else model(event=ev)
    if request.method == "POST" and request.POST.get("delete") and instance.pk:
        try:
            config_object_delete(event=ev, instance=instance, actor=request.user)
        except ValidationError as error:
            messages.error(request, error_text(error))
            return to(request, "control.config.edit", kind=kind, pk=instance.pk)
        messages.success(request, _("Deleted."))
        return to(request, "control.config", kind=kind)
    form = form_class(request.POST or None, instance=instance, event=ev)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = config_object_save(event=ev, instance=form.save(commit=False), actor=request.user)
                if isinstance(form, forms.QuestionForm):
                    _add_options(ev, saved, form.option_lines(), request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return to(request, "control.config", kind=kind)
    options = list(instance.options.all()) if isinstance(instance, Question) and instance.pk else []
    return render(
        request,
        "eventyay_talk/control/form.html",
        {
            "form": form,
            "title": title,
            "object": instance if instance.pk else None,
            "back": "control.config",
            "back_kind": kind,
            "delete": bool(instance.pk),
            "options": options,
            "tab": kind,
        },
    )


def _add_options(event: Any, question: Any, lines: list[str], request: HttpRequest) -> None:
    existing = {str(option.answer) for option in question.options.all()}
    position = question.options.count()
    for line in lines:
        if line in existing:
            continue
        position += 1
        option = QuestionOption(question=question, answer=LazyI18nString(line), position=position)
        config_object_save(event=event, instance=option, actor=request.user)


@event_view(READ)
def access_codes(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    codes = list(
        AccessCode.objects.filter(event=request.event)  # type: ignore[attr-defined]
        .prefetch_related("submission_types", "tracks")
        .order_by("code")
    )
    return render(request, "eventyay_talk/control/access_codes.html", {"codes": codes, "tab": "codes"})


@event_view(READ, post=WRITE)
@in_event_timezone
def access_code_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    instance = get_object_or_404(AccessCode, event=ev, pk=pk) if pk else AccessCode(event=ev)
    form = forms.AccessCodeForm(request.POST or None, instance=instance, event=ev)
    if request.method == "POST" and form.is_valid():
        try:
            access_code_save(
                event=ev,
                data=form.service_data(),
                access_code=instance if instance.pk else None,
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return to(request, "control.access_codes")
    return render(
        request,
        "eventyay_talk/control/form.html",
        {
            "form": form,
            "title": _("Access codes"),
            "object": instance if instance.pk else None,
            "back": "control.access_codes",
            "tab": "codes",
        },
    )
