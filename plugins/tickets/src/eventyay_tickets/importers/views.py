"""Control panel: import this event's tickets from pretix (form → job with progress → report)."""

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
from eventyay_tickets.control_views.common import ITEMS, WRITE
from eventyay_tickets.importers.jobs import PRETIX_JOB_KIND, pretix_job_create, pretix_job_report
from eventyay_tickets.importers.pretix import SLUG_PATTERN, PretixSource


class PretixImportForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Address of pretix"),
        help_text=gettext_lazy("The address of the pretix installation, e.g. https://pretix.eu"),
        max_length=400,
        assume_scheme="https",
    )
    token = forms.CharField(
        label=gettext_lazy("API token"),
        help_text=gettext_lazy(
            "A token of a pretix team that may read the event and its orders. It is used for this "
            "import only and deleted when the import ends."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        max_length=500,
    )
    source_event = forms.CharField(
        label=gettext_lazy("Event at pretix"),
        help_text=gettext_lazy("Its organizer and event short forms, as in its address: demo/conference"),
        max_length=200,
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

    def clean_source_event(self) -> tuple[str, str]:
        parts = self.cleaned_data["source_event"].strip().strip("/").split("/")
        if len(parts) != 2 or not all(SLUG_PATTERN.match(part) for part in parts):
            raise ValidationError(_("Give the organizer and the event as organizer/event."))
        return parts[0], parts[1]

    def clean(self) -> dict[str, Any]:
        """Reads the event once, so a wrong address, token or event is an error here, not a failed job."""
        data = super().clean() or {}
        if self.errors:
            return data
        source = self.source()
        try:
            SourceAPI(source.api_root, source.token, max_retries=1).get(source.event_path)
        except SourceAPIError as exc:
            if exc.status == 401:
                self.add_error(
                    "token", _("pretix did not accept this token for the event (HTTP %d).") % exc.status
                )
            elif exc.status in (403, 404):
                # pretix 2026.8 answers 403, not 404, for an event its token's team cannot see,
                # and so for an event that does not exist.
                self.add_error("source_event", _("pretix knows no such event (or the token may not see it)."))
            else:
                self.add_error(
                    "url", _("pretix could not be read there: %(problem)s") % {"problem": str(exc)}
                )
        return data

    def source(self) -> PretixSource:
        organizer, event = self.cleaned_data["source_event"]
        return PretixSource(
            url=self.cleaned_data["url"], token=self.cleaned_data["token"], organizer=organizer, event=event
        )


def _check_write(request: HttpRequest) -> None:
    """Importing writes orders as well as products: it needs both permissions."""
    event = request.event  # type: ignore[attr-defined]
    if not request_grant(request, event.organizer).has_event_permission(event, WRITE):
        raise PermissionDenied(_("You lack the permission “%s”.") % WRITE)


def _job_url(request: HttpRequest, job: Job) -> str:
    event = request.event  # type: ignore[attr-defined]
    return reverse(
        "plugins:tickets:control.pretix_import.job",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, "job": job.pk},
    )


@event_view(ITEMS)
def pretix_import_start(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    _check_write(request)
    the_event = request.event  # type: ignore[attr-defined]
    form = PretixImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = pretix_job_create(
            event=the_event,
            user=request.user,  # type: ignore[arg-type]
            source=form.source(),
            dry_run="import" not in request.POST,
        )
        return redirect(_job_url(request, job))
    previous = getattr(the_event, "pretix_import", None)
    return render(
        request,
        "eventyay_tickets/control/pretix_import.html",
        {"form": form, "previous": previous},
    )


@event_view(ITEMS)
def pretix_import_job(request: HttpRequest, organizer: str, event: str, job: Any) -> HttpResponse:
    """The job's progress (polled by HTMX, or reloaded without JavaScript), then its report."""
    _check_write(request)
    the_event = request.event  # type: ignore[attr-defined]
    found = Job.objects.filter(
        pk=job,
        organizer=the_event.organizer,
        event=the_event,
        kind=PRETIX_JOB_KIND,
        user_id=request.user.pk or 0,
    ).first()
    if found is None:
        raise Http404()
    context = {
        "job": found,
        "report": pretix_job_report(found),
        "job_url": _job_url(request, found),
        "start_url": reverse(
            "plugins:tickets:control.pretix_import",
            kwargs={"organizer": the_event.organizer.slug, "event": the_event.slug},
        ),
    }
    partial = request.headers.get("HX-Request") == "true"
    template = (
        "eventyay_tickets/control/_pretix_import_job.html"
        if partial
        else "eventyay_tickets/control/pretix_import_job.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
