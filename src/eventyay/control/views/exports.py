"""The Export pages of an event and of an organizer: run exports, follow them, download, schedule.

Every view serves both levels: under ``/control/event/<organizer>/<event>/export/`` it exports
from that event (``register_data_exporters``), under ``/control/organizer/<organizer>/export/``
across the organizer's events (``register_organizer_exporters``). Only the exporters the user
may run are listed; a job, its progress and its file are only ever shown to whoever started it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from itertools import groupby
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.exporters import BaseExporter, ExporterNotFound
from eventyay.base.exporters.registry import RegisteredExporter, exporters_for, permitted_events
from eventyay.base.models import Event, Job, Organizer, ScheduledExport
from eventyay.base.permissions import Grant
from eventyay.base.services.exports import (
    export_job_create,
    job_belongs_to,
    recent_export_jobs,
    scheduled_export_delete,
    scheduled_export_save,
)
from eventyay.base.storage import serve_private_file
from eventyay.control.forms import add_service_errors
from eventyay.control.forms.exports import ScheduleForm, exporter_options_form, unprefixed
from eventyay.control.permissions import View, event_view, organizer_view, request_grant

#: Prefix of the options form on the schedule pages, apart from the schedule's own fields.
SCHEDULE_OPTIONS = "options"


@dataclass
class Place:
    """Where the Export page is: an organizer, and the event or None for exports across events."""

    organizer: Organizer
    event: Event | None
    grant: Grant

    def url(self, name: str, **kwargs: Any) -> str:
        level = "event" if self.event is not None else "organizer"
        kwargs["organizer"] = self.organizer.slug
        if self.event is not None:
            kwargs["event"] = self.event.slug
        return reverse(f"control:{level}.{name}", kwargs=kwargs)

    @property
    def may_schedule(self) -> bool:
        """Schedules run unattended and mail data out: they are a settings matter."""
        if self.event is not None:
            return self.grant.has_event_permission(self.event, "event.settings:write")
        return self.grant.has_organizer_permission("organizer.settings:write")

    @property
    def base_template(self) -> str:
        return "eventyay_control/event/base.html" if self.event else "eventyay_control/organizer/base.html"

    def exporters(self) -> list[RegisteredExporter]:
        return exporters_for(organizer=self.organizer, event=self.event, grant=self.grant)

    def instantiate(self, entry: RegisteredExporter) -> BaseExporter:
        events = None if self.event is not None else permitted_events(self.organizer, self.grant, entry)
        return entry.exporter(organizer=self.organizer, event=self.event, events=events)

    def find(self, identifier: str) -> tuple[RegisteredExporter, BaseExporter]:
        for entry in self.exporters():
            if entry.identifier == identifier:
                return entry, self.instantiate(entry)
        raise Http404()


def export_view(view: Callable[..., HttpResponseBase]) -> View:
    """Run ``view(request, place, **kwargs)`` behind the event or organizer membership check."""

    def call(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        kwargs.pop("organizer")
        kwargs.pop("event", None)
        organizer = request.organizer  # type: ignore[attr-defined]
        place = Place(organizer, request.event, request_grant(request, organizer))  # type: ignore[attr-defined]
        return view(request, place, **kwargs)

    at_event, at_organizer = event_view()(call), organizer_view()(call)

    @wraps(view)
    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return (at_event if "event" in kwargs else at_organizer)(request, *args, **kwargs)

    return dispatch


def _job(place: Place, request: HttpRequest, job_id: Any) -> Job:
    """The export job ``job_id`` of this page's level, if this user started it; else 404."""
    job = Job.objects.filter(
        pk=job_id, organizer=place.organizer, event=place.event, kind=Job.Kind.EXPORT
    ).first()
    if job is None or not job_belongs_to(job, user=request.user):
        raise Http404()
    return job


def _names(place: Place) -> dict[str, str]:
    return {entry.identifier: str(entry.exporter.verbose_name) for entry in place.exporters()}


@export_view
def export_index(request: HttpRequest, place: Place) -> HttpResponse:
    """The exporters by category, each with its options form; POST starts one."""
    chosen = request.POST.get("exporter") if request.method == "POST" else None
    cards = []
    for entry in place.exporters():
        exporter = place.instantiate(entry)
        bound = request.POST if entry.identifier == chosen else None
        form = exporter_options_form(exporter, data=bound, prefix=entry.identifier)
        if bound is not None and form.is_valid():
            try:
                job = export_job_create(
                    organizer=place.organizer,
                    event=place.event,
                    identifier=entry.identifier,
                    options=unprefixed(request.POST, entry.identifier),
                    grant=place.grant,
                    user=request.user,  # type: ignore[arg-type]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect(place.url("export.job", job=job.pk))
        cards.append(
            {
                # Strings rather than the class: templates would call a class.
                "identifier": entry.identifier,
                "name": str(entry.exporter.verbose_name),
                "description": str(entry.exporter.description),
                "category": str(entry.exporter.category),
                "form": form,
                "schedule_url": place.url("export.schedule.add", identifier=entry.identifier),
            }
        )
    if chosen is not None and chosen not in {card["identifier"] for card in cards}:
        raise Http404()
    categories = [
        (category, list(group)) for category, group in groupby(cards, key=lambda card: card["category"])
    ]
    names = {card["identifier"]: card["name"] for card in cards}
    jobs = [
        {
            "job": job,
            "name": names.get(job.identifier, job.identifier),
            "url": place.url("export.job", job=job.pk),
            "download_url": place.url("export.download", job=job.pk),
        }
        for job in recent_export_jobs(
            organizer=place.organizer,
            event=place.event,
            user=request.user,  # type: ignore[arg-type]
        )
    ]
    schedules = None
    if place.may_schedule:
        schedules = [
            {
                "schedule": schedule,
                "name": names.get(schedule.identifier, schedule.identifier),
                "edit_url": place.url("export.schedule", pk=schedule.pk),
                "delete_url": place.url("export.schedule.delete", pk=schedule.pk),
            }
            for schedule in ScheduledExport.objects.filter(
                organizer=place.organizer, event=place.event
            ).select_related("owner")
        ]
    return render(
        request,
        "eventyay_control/exports/index.html",
        {
            "place": place,
            "page_url": place.url("export"),
            "categories": categories,
            "jobs": jobs,
            "schedules": schedules,
        },
        # Only a start that failed validation gets here with a POST.
        status=400 if chosen else 200,
    )


@export_view
def export_job(request: HttpRequest, place: Place, job: Any) -> HttpResponse:
    """One export: its progress until it is done, then the download (or the error)."""
    found = _job(place, request, job)
    context = {
        "place": place,
        "job": found,
        "name": _names(place).get(found.identifier, found.identifier),
        "page_url": place.url("export"),
        "job_url": place.url("export.job", job=found.pk),
        "download_url": place.url("export.download", job=found.pk),
    }
    # The progress partial polls this same URL; HTMX asks for the partial alone.
    partial = request.headers.get("HX-Request") == "true"
    template = "eventyay_control/exports/_job.html" if partial else "eventyay_control/exports/job.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@export_view
def export_download(request: HttpRequest, place: Place, job: Any) -> HttpResponseBase:
    found = _job(place, request, job)
    if found.state != Job.State.DONE:
        raise Http404()
    return serve_private_file(request, found.file, filename=found.filename, content_type=found.content_type)


def _schedule_page(
    request: HttpRequest, place: Place, identifier: str, instance: ScheduledExport | None
) -> HttpResponse:
    if not place.may_schedule:
        raise PermissionDenied(_("You may not manage scheduled exports here."))
    entry, exporter = place.find(identifier)
    data = request.POST if request.method == "POST" else None
    form = ScheduleForm(data=data, instance=instance)
    options = exporter_options_form(
        exporter, data=data, prefix=SCHEDULE_OPTIONS, initial=instance.options if instance else None
    )
    # Both forms are validated, so that all errors show at once.
    schedule_valid, options_valid = form.is_valid(), options.is_valid()
    if data is not None and schedule_valid and options_valid:
        try:
            scheduled_export_save(
                organizer=place.organizer,
                event=place.event,
                owner=request.user,  # type: ignore[arg-type]
                identifier=identifier,
                options=unprefixed(request.POST, SCHEDULE_OPTIONS),
                instance=instance,
                **form.cleaned_data,
            )
        except ExporterNotFound:
            raise Http404() from None
        except ValidationError as error:
            _split_errors(error, form, options)
        else:
            messages.success(request, _("The scheduled export has been saved."))
            return redirect(place.url("export"))
    return render(
        request,
        "eventyay_control/exports/schedule.html",
        {
            "place": place,
            "page_url": place.url("export"),
            "name": str(entry.exporter.verbose_name),
            "form": form,
            "options": options,
            "schedule": instance,
        },
        status=400 if data is not None else 200,
    )


def _split_errors(error: ValidationError, form: forms.Form, options: forms.Form) -> None:
    """Show the service's errors next to the schedule's fields or the exporter's options."""
    if not hasattr(error, "error_dict"):
        add_service_errors(form, error)
        return
    for field, errors in error.error_dict.items():
        target = options if field in options.fields and field not in form.fields else form
        add_service_errors(target, ValidationError({field: errors}))


@export_view
def schedule_create(request: HttpRequest, place: Place, identifier: str) -> HttpResponse:
    return _schedule_page(request, place, identifier, None)


def _schedule(place: Place, pk: int) -> ScheduledExport:
    if not place.may_schedule:
        raise PermissionDenied(_("You may not manage scheduled exports here."))
    schedule = ScheduledExport.objects.filter(pk=pk, organizer=place.organizer, event=place.event).first()
    if schedule is None:
        raise Http404()
    return schedule


@export_view
def schedule_edit(request: HttpRequest, place: Place, pk: int) -> HttpResponse:
    schedule = _schedule(place, pk)
    return _schedule_page(request, place, schedule.identifier, schedule)


@export_view
@require_POST
def schedule_delete(request: HttpRequest, place: Place, pk: int) -> HttpResponse:
    schedule = _schedule(place, pk)
    scheduled_export_delete(schedule=schedule, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The scheduled export has been deleted."))
    return redirect(place.url("export"))
