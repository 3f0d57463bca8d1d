"""An organizer's events: create, dashboard, settings, clone, delete and the event's audit log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.plugins.manager import hooks_for
from eventyay.base.plugins.records import DashboardWidget
from eventyay.base.services.action_jobs import action_job_url
from eventyay.base.services.event_clone_job import event_clone_job_create
from eventyay.base.services.events import (
    event_create,
    event_delete,
    event_has_data,
    event_update,
)
from eventyay.base.services.plugins import PluginStateError
from eventyay.control.forms import add_service_errors
from eventyay.control.forms.events import EventCloneForm, EventForm
from eventyay.control.permissions import event_view, organizer_view, request_grant
from eventyay.control.selectors import log_entries
from eventyay.control.views.organizers import log_page

READ = "event.settings:read"
WRITE = "event.settings:write"


@organizer_view("organizer.events:create")
def event_create_view(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    form = EventForm(data=request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            event = event_create(
                organizer=org,
                data=form.event_data,
                plugins=form.cleaned_data["plugins"],
                actor=request.user,
                is_admin=request.user.is_superuser,  # type: ignore[union-attr]
            )
        except PluginStateError as error:
            form.add_error("plugins", error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The event has been created."))
            return redirect("control:event.index", organizer=org.slug, event=event.slug)
    return render(
        request,
        "eventyay_control/events/create.html",
        {"organizer": org, "form": form, "plugin_infos": getattr(form, "plugin_infos", {})},
    )


@event_view()
def event_index(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    grant = request_grant(request, ev.organizer)
    return render(
        request,
        "eventyay_control/events/index.html",
        {
            "event": ev,
            "can_read": grant.has_event_permission(ev, READ),
            "can_write": grant.has_event_permission(ev, WRITE),
            "plugin_count": len(ev.enabled_plugin_names),
            "widgets": dashboard_widgets(request, ev),
        },
    )


def dashboard_widgets(request: HttpRequest, event: Event) -> list[DashboardWidget]:
    """The boxes the event's plugins contribute, highest priority first (stable within one)."""
    widgets = [
        widget
        for result in hooks_for(event).control_dashboard_widgets(event=event, request=request)
        for widget in result or []
    ]
    return sorted(widgets, key=lambda widget: -widget.priority)


@event_view(READ, post=WRITE)
def event_settings(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    form = EventForm(data=request.POST if request.method == "POST" else None, user=request.user, instance=ev)
    if request.method == "POST" and form.is_valid():
        try:
            event_update(event=ev, data=form.event_data, actor=request.user)
        except ValidationError as error:
            ev.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("control:event.settings", organizer=ev.organizer.slug, event=ev.slug)
    can_write = request_grant(request, ev.organizer).has_event_permission(ev, WRITE)
    return render(
        request, "eventyay_control/events/settings.html", {"event": ev, "form": form, "can_write": can_write}
    )


@event_view((READ, "organizer.events:create"))
def event_clone_view(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    form = EventCloneForm(data=request.POST if request.method == "POST" else None, source=ev)
    if request.method == "POST" and form.is_valid():
        if Event.objects.filter(organizer=ev.organizer, slug=form.cleaned_data["slug"]).exists():
            form.add_error("slug", _("This short form is already used by another event."))
        else:
            # Plugins copy their data too, which can take a while: the job page shows progress.
            job = event_clone_job_create(source=ev, data=form.cleaned_data, user=request.user)  # type: ignore[arg-type]
            return redirect(action_job_url(job))
    return render(request, "eventyay_control/events/clone.html", {"event": ev, "form": form})


@event_view(WRITE)
def event_delete_view(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    has_data = event_has_data(ev)
    if request.method == "POST" and not has_data:
        try:
            event_delete(event=ev, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The event has been deleted."))
            return redirect("control:organizer.index", organizer=ev.organizer.slug)
    return render(request, "eventyay_control/events/delete.html", {"event": ev, "has_data": has_data})


@event_view(READ)
def event_log(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    page = log_page(request, log_entries(organizer=ev.organizer, event=ev))
    return render(request, "eventyay_control/events/log.html", {"event": ev, "page": page})
