"""The bank statement upload (the rest of the control panel lives with the control pages)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from eventyay.base.permissions import grant_for_user
from eventyay.base.services.login import login_redirect
from eventyay.control.permissions import two_factor_setup_redirect
from eventyay_tickets.services import OrderError, bank_statement_match


class BankStatementForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement (CSV)"), help_text=_("Needs a header row and an “amount” column.")
    )


def bank_statement(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    if not request.user.is_authenticated:
        return login_redirect(request)
    grant = grant_for_user(request.user, ev.organizer)
    if not grant.can_see_event(ev):
        raise Http404()
    setup = two_factor_setup_redirect(request, ev.organizer)
    if setup is not None:
        return setup
    if not grant.has_event_permission(ev, "event.orders:write"):
        raise PermissionDenied()
    form = BankStatementForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        text = raw.decode("utf-8", errors="replace")
        try:
            result = bank_statement_match(event=ev, csv_text=text, actor=request.user)
        except OrderError as exc:
            form.add_error("file", exc.messages)
    return render(
        request, "eventyay_tickets/control/bank_statement.html", {"event": ev, "form": form, "result": result}
    )
