"""Check-in lists and the web check-in page (type or scan a ticket code; HTMX swaps the result)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from eventyay.control.permissions import event_view
from eventyay_tickets.control_views.common import CHECKIN, ITEMS, READ, error_text, to
from eventyay_tickets.control_views.forms import CheckinListForm, RedeemForm
from eventyay_tickets.models import CheckinList
from eventyay_tickets.services.checkin import (
    checkin_counts,
    checkin_list_delete,
    checkin_list_save,
    checkin_redeem,
)

TEMPLATES = "eventyay_tickets/control/"


@event_view(READ)
def checkinlists(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    return render(request, TEMPLATES + "checkinlists.html", {"rows": checkin_counts(request.event)})  # type: ignore[attr-defined]


@event_view(READ, post=ITEMS)
def checkinlist_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    instance = get_object_or_404(CheckinList, event=ev, pk=pk) if pk else None
    form = CheckinListForm(request.POST or None, instance=instance, event=ev)
    if request.method == "POST":
        if request.POST.get("delete") and instance:
            checkin_list_delete(event=ev, instance=instance, actor=request.user)
            messages.success(request, _("Deleted."))
            return to(request, "control.checkinlists")
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form._meta.fields}
            checkin_list_save(event=ev, data=data, instance=instance, actor=request.user)
            messages.success(request, _("The check-in list has been saved."))
            return to(request, "control.checkinlists")
    return render(
        request,
        TEMPLATES + "form.html",
        {
            "form": form,
            "title": _("Check-in list"),
            "back": "control.checkinlists",
            "object": instance,
            "delete": bool(instance),
        },
    )


def _counters(request: HttpRequest, checkin_list: CheckinList) -> dict:
    rows = checkin_counts(request.event)  # type: ignore[attr-defined]
    return next((row for row in rows if row["list"].pk == checkin_list.pk), {})


@event_view(CHECKIN)
def checkin_page(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    """Scan or type a ticket code; without JavaScript the form posts and the page shows the result."""
    ev = request.event  # type: ignore[attr-defined]
    checkin_list: CheckinList = get_object_or_404(
        CheckinList.objects.select_related("event__organizer"), event=ev, pk=pk
    )
    form = RedeemForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = checkin_redeem(
                organizer=ev.organizer,
                secret=form.cleaned_data["secret"],
                lists=[checkin_list],
                type=form.cleaned_data["type"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        form = RedeemForm(initial={"type": form.cleaned_data.get("type", "entry")})
    context = {
        "list": checkin_list,
        "form": form,
        "result": result,
        "counts": _counters(request, checkin_list),
    }
    if request.headers.get("HX-Request"):
        return render(request, TEMPLATES + "_checkin_result.html", {**context, "partial": True})
    return render(request, TEMPLATES + "checkin.html", context)


@event_view(READ)
def checkin_counters(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    """The counters fragment the check-in page polls (HTMX) to stay live."""
    checkin_list = get_object_or_404(CheckinList, event=request.event, pk=pk)  # type: ignore[attr-defined]
    return render(request, TEMPLATES + "_checkin_counters.html", {"counts": _counters(request, checkin_list)})
