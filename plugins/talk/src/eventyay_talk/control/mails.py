"""The talk mails organizers can edit: list, edit per language with placeholders and a preview."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from eventyay.control.forms import add_service_errors
from eventyay.control.permissions import event_view
from eventyay_talk.control import forms
from eventyay_talk.control.common import READ, WRITE, to
from eventyay_talk.models import MailTemplate, Submission, SubmissionStates
from eventyay_talk.services.mails import (
    mail_placeholders,
    mail_preview,
    mail_template_stored,
    mail_template_update,
    mail_template_validate,
)
from eventyay_talk.services.submissions import MAIL_ON_STATE


@event_view(READ)
def mail_templates(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    changed = set(MailTemplate.objects.filter(event=ev).values_list("role", flat=True))
    pending = {
        row["pending_state"]: row
        for row in Submission.objects.filter(event=ev)
        .exclude(pending_state="")
        .values("pending_state")
        .annotate(proposals=Count("pk", distinct=True), mails=Count("speakers"))
    }
    queued = [
        {
            "state": SubmissionStates(state).label,
            "proposals": row["proposals"],
            "mails": row["mails"] if state in MAIL_ON_STATE else 0,
            "template": MailTemplate.Role(MAIL_ON_STATE[state]).label if state in MAIL_ON_STATE else "",
        }
        for state, row in sorted(pending.items())
    ]
    rows = [
        {"role": role, "label": label, "changed": role in changed}
        for role, label in MailTemplate.Role.choices
    ]
    return render(request, "eventyay_talk/control/mails.html", {"rows": rows, "queued": queued})


@event_view(READ, post=WRITE)
def mail_template_edit(request: HttpRequest, organizer: str, event: str, role: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    if role not in MailTemplate.Role.values:
        raise Http404()
    proposals = list(
        Submission.objects.filter(event=ev)
        .exclude(state=SubmissionStates.DRAFT)
        .values_list("code", "title")[:200]
    )
    subject, text, changed = mail_template_stored(event=ev, role=role)
    form = forms.MailTemplateForm(
        request.POST or None,
        event=ev,
        proposals=proposals,
        initial={"subject": subject, "text": text, "sample": proposals[0][0] if proposals else ""},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if request.POST.get("action") == "preview":
                    mail_template_validate(
                        event=ev,
                        role=role,
                        subject=form.translations("subject"),
                        text=form.translations("text"),
                    )
                else:
                    mail_template_update(
                        event=ev,
                        role=role,
                        subject=form.translations("subject"),
                        text=form.translations("text"),
                        actor=request.user,
                    )
                    messages.success(request, _("The mail has been saved."))
                    return to(request, "control.mails")
            except ValidationError as error:
                add_service_errors(form, error)
        if form.errors:
            status = 400
        else:
            subject, text = form.cleaned_data["subject"], form.cleaned_data["text"]
    sample_code = (
        form.cleaned_data.get("sample") if form.is_bound and form.is_valid() else form.initial["sample"]
    )
    sample = (
        Submission.objects.filter(event=ev, code=sample_code).select_related("event").first()
        if sample_code
        else None
    )
    previews = []
    if not form.errors:
        for language in ev.active_locales:
            with translation.override(language):
                rendered_subject, rendered_text = mail_preview(
                    event=ev,
                    role=role,
                    subject=subject.localize(language),
                    text=text.localize(language),
                    submission=sample,
                )
            previews.append({"language": language, "subject": rendered_subject, "text": rendered_text})
    return render(
        request,
        "eventyay_talk/control/mail_template.html",
        {
            "form": form,
            "label": MailTemplate.Role(role).label,
            "changed": changed,
            "placeholders": sorted(mail_placeholders(event=ev, role=role).items()),
            "previews": previews,
        },
        status=status,
    )
