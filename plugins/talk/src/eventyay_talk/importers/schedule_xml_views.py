"""Control panel: import a schedule XML into this event (form → job with progress → report)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eventyay.base.models import Job
from eventyay.base.services.http import outgoing_url_problem
from eventyay.control.forms import bootstrap_widget
from eventyay.control.permissions import event_view, request_grant
from eventyay_talk.control.common import SCHEDULE, WRITE
from eventyay_talk.importers.schedule_xml_format import (
    MAX_XML_BYTES,
    ScheduleXMLError,
    schedule_xml_fetch,
    schedule_xml_parse,
)
from eventyay_talk.importers.schedule_xml_jobs import (
    SCHEDULE_XML_JOB_KIND,
    schedule_xml_job_create,
    schedule_xml_job_report,
)
from eventyay_talk.models import TalkImport


class ScheduleXMLImportForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Address of the schedule"),
        help_text=gettext_lazy("e.g. https://pretalx.com/democon/schedule/export/schedule.xml"),
        max_length=500,
        required=False,
        assume_scheme="https",
    )
    file = forms.FileField(
        label=gettext_lazy("Or the file"),
        help_text=gettext_lazy("A schedule.xml you downloaded from pretalx, frab or another eventyay"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.content = b""
        for field in self.fields.values():
            bootstrap_widget(field.widget)

    def clean(self) -> dict[str, Any]:
        """Reads and checks the schedule now, so a bad file is an error here, not a failed job."""
        data = super().clean() or {}
        if self.errors:
            return data
        url, upload = data.get("url"), data.get("file")
        if bool(url) == bool(upload):
            self.add_error("url", _("Give either the address of a schedule or its file."))
            return data
        field = "url" if url else "file"
        try:
            if url:
                problem = outgoing_url_problem(url)
                if problem:
                    raise ValidationError(problem)
                self.content = schedule_xml_fetch(url)
            elif upload is not None:
                if upload.size > MAX_XML_BYTES:
                    raise ValidationError(
                        _("The schedule is larger than %(size)d MB.") % {"size": MAX_XML_BYTES // 2**20}
                    )
                self.content = upload.read()
            schedule_xml_parse(self.content)
        except ScheduleXMLError as exc:
            self.add_error(field, str(exc))
        except ValidationError as exc:
            self.add_error(field, exc)
        return data

    def source(self) -> str:
        return self.cleaned_data.get("url") or self.cleaned_data["file"].name


def _check_write(request: HttpRequest) -> None:
    """Importing writes proposals as well as the schedule: it needs both permissions."""
    event = request.event  # type: ignore[attr-defined]
    if not request_grant(request, event.organizer).has_event_permission(event, SCHEDULE):
        raise PermissionDenied(_("You lack the permission “%s”.") % SCHEDULE)


def _job_url(request: HttpRequest, job: Job) -> str:
    event = request.event  # type: ignore[attr-defined]
    return reverse(
        "plugins:talk:control.schedule_xml_import.job",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, "job": job.pk},
    )


@event_view(WRITE)
def schedule_xml_import_start(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    _check_write(request)
    the_event = request.event  # type: ignore[attr-defined]
    form = ScheduleXMLImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = schedule_xml_job_create(
            event=the_event,
            user=request.user,  # type: ignore[arg-type]
            content=form.content,
            source=form.source(),
            dry_run="import" not in request.POST,
        )
        return redirect(_job_url(request, job))
    previous = TalkImport.objects.filter(
        event=the_event, source_kind=TalkImport.SourceKind.SCHEDULE_XML
    ).first()
    return render(
        request, "eventyay_talk/control/schedule_xml_import.html", {"form": form, "previous": previous}
    )


@event_view(WRITE)
def schedule_xml_import_job(request: HttpRequest, organizer: str, event: str, job: Any) -> HttpResponse:
    """The job's progress (polled by HTMX, or reloaded without JavaScript), then its report."""
    _check_write(request)
    the_event = request.event  # type: ignore[attr-defined]
    found = Job.objects.filter(
        pk=job,
        organizer=the_event.organizer,
        event=the_event,
        kind=SCHEDULE_XML_JOB_KIND,
        user_id=request.user.pk or 0,
    ).first()
    if found is None:
        raise Http404()
    context = {
        "job": found,
        "report": schedule_xml_job_report(found),
        "job_url": _job_url(request, found),
        "start_url": reverse(
            "plugins:talk:control.schedule_xml_import",
            kwargs={"organizer": the_event.organizer.slug, "event": the_event.slug},
        ),
    }
    partial = request.headers.get("HX-Request") == "true"
    template = (
        "eventyay_talk/control/_schedule_xml_import_job.html"
        if partial
        else "eventyay_talk/control/schedule_xml_import_job.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
