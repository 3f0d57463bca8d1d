"""Control panel page of the reports attendees make about each other: dismiss, resolve, ban."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay_video import people
from eventyay_video.hooks import WRITE_PERMISSION
from eventyay_video.models import UserReport
from eventyay_video.views import _render, team_permission

#: POSTed ``action`` → (new status, ban the reported user).
ACTIONS = {
    "dismiss": (UserReport.Status.DISMISSED, False),
    "resolve": (UserReport.Status.RESOLVED, False),
    "ban": (UserReport.Status.RESOLVED, True),
}
PAGE_SIZE = 200


def _url(event: Event, status: str) -> str:
    url = reverse(
        "plugins:video:control.user_reports",
        kwargs={"organizer": event.organizer.slug, "event": event.slug},
    )
    return url if status == UserReport.Status.OPEN else f"{url}?status={status}"


@team_permission(WRITE_PERMISSION)
def user_reports(request: HttpRequest, event: Event) -> HttpResponse:
    status = request.GET.get("status", UserReport.Status.OPEN)
    if status not in UserReport.Status.values:
        return HttpResponseBadRequest(_("Unknown value of the field “status”."))
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return HttpResponseBadRequest(_("Unknown value of the field “action”."))
        try:
            report_id = int(request.POST.get("id", ""))
        except ValueError:
            return HttpResponseBadRequest(_("Unknown value of the field “id”."))
        new_status, ban = action
        try:
            people.report_handle(
                event=event,
                report_id=report_id,
                status=new_status,
                by=f"team:{request.user.pk}",
                actor=request.user,
                ban=ban,
            )
        except UserReport.DoesNotExist:
            raise Http404()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("The user has been banned and the report resolved.")
                if ban
                else _("The report has been dismissed.")
                if new_status == UserReport.Status.DISMISSED
                else _("The report has been resolved."),
            )
        return redirect(_url(event, status))
    reports = list(
        UserReport.objects.filter(event=event, status=status)
        .select_related("message__channel__room")
        .order_by("-created", "-pk")[:PAGE_SIZE]
    )
    names = people.report_names(event=event, reports=reports)
    rows = [
        {
            "report": report,
            "reporter_name": names.get(report.reporter_uid, ""),
            "reported_name": names.get(report.reported_uid, ""),
        }
        for report in reports
    ]
    filters = [
        {"status": value, "label": label, "url": _url(event, value), "active": value == status}
        for value, label in UserReport.Status.choices
    ]
    return _render(
        request,
        event,
        "user_reports.html",
        {"rows": rows, "status": status, "filters": filters, "is_open": status == UserReport.Status.OPEN},
    )
