"""Per-event settings pages: payment providers, invoices and tickets, order mails."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from eventyay.control.forms import bootstrap_widget
from eventyay.control.permissions import event_view
from eventyay_tickets.control_views.common import ITEMS, to
from eventyay_tickets.control_views.forms import DocumentSettingsForm, MailSettingsForm
from eventyay_tickets.selectors import payment_providers
from eventyay_tickets.services.backoffice import document_settings_save, payment_provider_settings_save
from eventyay_tickets.services.invoices import INVOICE_DEFAULTS
from eventyay_tickets.services.notifications import (
    mail_placeholders_available,
    mail_preview,
    mail_settings_save,
)


class ProviderForm(forms.Form):
    """A provider's own settings fields (``settings_form_fields``), prefixed with its identifier."""

    def __init__(self, *args: Any, provider: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", provider.settings)
        kwargs.setdefault("prefix", provider.identifier)
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.fields.update(provider.settings_form_fields())
        for field in self.fields.values():
            bootstrap_widget(field.widget)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            return self.provider.clean_settings(cleaned)
        except ValidationError as error:
            # A dict of field to message: each error is shown next to its field.
            self.add_error(None, error)
            return cleaned


@event_view(ITEMS)
def payment_settings(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    providers = list(payment_providers(ev).values())
    posted = request.POST.get("provider") if request.method == "POST" else None
    forms_by_provider = []
    for provider in providers:
        data = request.POST if posted == provider.identifier else None
        form = ProviderForm(data, provider=provider)
        if data is not None and form.is_valid():
            payment_provider_settings_save(
                event=ev, provider=provider, values=form.cleaned_data, actor=request.user
            )
            messages.success(request, _("The settings of %s have been saved.") % provider.verbose_name)
            return to(request, "control.payment_settings")
        forms_by_provider.append((provider, form))
    return render(request, "eventyay_tickets/control/payment_settings.html", {"providers": forms_by_provider})


@event_view(ITEMS)
def document_settings(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    initial = {key: ev.settings.get(key) for key in INVOICE_DEFAULTS}
    form = DocumentSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        document_settings_save(event=ev, values=form.cleaned_data, actor=request.user)
        messages.success(request, _("The settings have been saved."))
        return to(request, "control.document_settings")
    return render(
        request,
        "eventyay_tickets/control/form.html",
        {"form": form, "title": _("Invoices and tickets"), "back": "control.dashboard"},
    )


@event_view(ITEMS)
def mail_settings(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    """Every order mail's texts per language, the placeholders they may use, and a preview."""
    ev = request.event  # type: ignore[attr-defined]
    placeholders = mail_placeholders_available(ev)
    form = MailSettingsForm(request.POST or None, event=ev, placeholders=placeholders)
    valid = request.method == "POST" and form.is_valid()
    if valid and "preview" not in request.POST:
        mail_settings_save(
            event=ev,
            templates=form.templates_data(),
            attach_tickets=form.cleaned_data["attach_tickets"],
            attach_invoice=form.cleaned_data["attach_invoice"],
            actor=request.user,
        )
        messages.success(request, _("The email texts have been saved."))
        return to(request, "control.mail_settings")
    mails = []
    for group in form.grouped():
        key = group["key"]
        if valid:
            subject, text = form.cleaned_data[f"{key}_subject"], form.cleaned_data[f"{key}_text"]
        else:
            subject, text = form.initial[f"{key}_subject"], form.initial[f"{key}_text"]
        with translation.override(ev.locale):
            preview = mail_preview(event=ev, subject=str(subject), text=str(text))
        mails.append(
            {
                **group,
                "fields": [group["subject"], group["text"]],
                "preview_subject": preview[0],
                "preview_text": preview[1],
            }
        )
    return render(
        request,
        "eventyay_tickets/control/mail_settings.html",
        {"form": form, "mails": mails, "placeholders": placeholders},
        status=400 if request.method == "POST" and not valid else 200,
    )
