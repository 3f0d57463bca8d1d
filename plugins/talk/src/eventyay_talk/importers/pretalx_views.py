"""Control panel: import this event's talk data from pretalx (form → job with progress → report)."""

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
from eventyay.base.services.source_api import SourceAPI, SourceAPIError
from eventyay.control.forms import bootstrap_widget
from eventyay.control.permissions import event_view, request_grant
from eventyay_talk.control.common import SCHEDULE, WRITE
from eventyay_talk.importers.pretalx import SLUG_PATTERN, PretalxSource
from eventyay_talk.importers.pretalx_jobs import PRETALX_JOB_KIND, pretalx_job_create, pretalx_job_report
from eventyay_talk.models import TalkImport


class PretalxImportForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Address of pretalx"),
        help_text=gettext_lazy("The address of the pretalx installation, e.g. https://pretalx.com"),
        max_length=400,
        assume_scheme="https",
    )
    token = forms.CharField(
        label=gettext_lazy("API token"),
        help_text=gettext_lazy(
            "A token of a pretalx team that may read the event, its speakers and (if they should come "
            "along) its reviews. It is used for this import only and deleted when the import ends."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        max_length=500,
    )
    source_event = forms.CharField(
        label=gettext_lazy("Event at pretalx"),
        help_text=gettext_lazy("Its short form, as in its address: democon"),
        max_length=50,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            bootstrap_widget(field.widget)

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        problem = outgoing_url_problem(url)
        if problem:
            raise ValidationError(problem)
        return url

    def clean_source_event(self) -> str:
        slug = self.cleaned_data["source_event"].strip().strip("/")
        if not SLUG_PATTERN.match(slug):
            raise ValidationError(_("Give the event's short form, as in its address at pretalx."))
        return slug

    def clean(self) -> dict[str, Any]:
        """Reads the event once, so a wrong address, token or event is an error here, not a failed job."""
        data = super().clean() or {}
        if self.errors:
            return data
        source = self.source()
        try:
            SourceAPI(source.api_root, source.token, max_retries=1).get(source.event_path)
        except SourceAPIError as exc:
            if exc.status in (401, 403):
                self.add_error(
                    "token", _("pretalx did not accept this token for the event (HTTP %d).") % exc.status
                )
            elif exc.status == 404:
                self.add_error(
                    "source_event", _("pretalx knows no such event (or the token may not see it).")
                )
            else:
                self.add_error(
                    "url", _("pretalx could not be read there: %(problem)s") % {"problem": str(exc)}
                )
        return data

    def source(self) -> PretalxSource:
        return PretalxSource(
            url=self.cleaned_data["url"],
            token=self.cleaned_data["token"],
            event=self.cleaned_data["source_event"],
        )


def _check_write(request: HttpRequest) -> None:
    """Importing writes proposals as well as the schedule: it needs both permissions."""
    event = request.event  # type: ignore[attr-defined]
    if not request_grant(request, event.organizer).has_event_permission(event, SCHEDULE):
        raise PermissionDenied(_("You lack the permission “%s”.") % SCHEDULE)


def _job_url(request: HttpRequest, job: Job) -> str:
    event = request.event  # type: ignore[attr-defined]
    return reverse(
        "plugins:talk:control.pretalx_import.job",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, "job": job.pk},
    )


@event_view(WRITE)
def pretalx_import_start(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    _check_write(request)
    the_event = request.event  # type: ignore[attr-defined]
    form = PretalxImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = pretalx_job_create(
            event=the_event,
            user=request.user,  # type: ignore[arg-type]
            source=form.source(),
            dry_run="import" not in request.POST,
        )
        return redirect(_job_url(request, job))
    previous = TalkImport.objects.filter(event=the_event, source_kind=TalkImport.SourceKind.PRETALX).first()
    return render(request, "eventyay_talk/control/pretalx_import.html", {"form": form, "previous": previous})


@event_view(WRITE)
def pretalx_import_job(request: HttpRequest, organizer: str, event: str, job: Any) -> HttpResponse:
    """The job's progress (polled by HTMX, or reloaded without JavaScript), then its report."""
    _check_write(request)
    the_event = request.event  # type: ignore[attr-defined]
    found = Job.objects.filter(
        pk=job,
        organizer=the_event.organizer,
        event=the_event,
        kind=PRETALX_JOB_KIND,
        user_id=request.user.pk or 0,
    ).first()
    if found is None:
        raise Http404()
    context = {
        "job": found,
        "report": pretalx_job_report(found),
        "job_url": _job_url(request, found),
        "start_url": reverse(
            "plugins:talk:control.pretalx_import",
            kwargs={"organizer": the_event.organizer.slug, "event": the_event.slug},
        ),
    }
    partial = request.headers.get("HX-Request") == "true"
    template = (
        "eventyay_talk/control/_pretalx_import_job.html"
        if partial
        else "eventyay_talk/control/pretalx_import_job.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
