"""The bank statement upload (the rest of the control panel lives with the control pages)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from eventyay.base.permissions import grant_for_user
from eventyay_tickets.services import OrderError, bank_statement_match


class BankStatementForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement (CSV)"), help_text=_("Needs a header row and an “amount” column.")
    )


def bank_statement(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not grant_for_user(request.user, ev.organizer).has_event_permission(ev, "event.orders:write"):
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
