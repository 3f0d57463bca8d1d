"""Dashboard, organizer creation, an organizer's events, settings and audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import LogEntry
from eventyay.base.services.organizers import ORGANIZER_SETTINGS_KEYS, organizer_create, organizer_update
from eventyay.control.forms import add_service_errors
from eventyay.control.forms.organizers import OrganizerCreateForm, OrganizerSettingsForm
from eventyay.control.permissions import organizer_view, request_grant
from eventyay.control.selectors import can_create_organizer, events_for_user, log_entries, organizers_for_user

LOG_PAGE_SIZE = 50


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "eventyay_control/dashboard.html",
        {
            "organizers": organizers_for_user(request.user),
            "events": events_for_user(request.user),
            "can_create_organizer": can_create_organizer(request.user),
        },
    )


@login_required
def organizer_create_view(request: HttpRequest) -> HttpResponse:
    if not can_create_organizer(request.user):
        raise PermissionDenied(_("Only administrators of this installation can create organizers."))
    form = OrganizerCreateForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organizer = organizer_create(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                creator=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The organizer has been created."))
            return redirect("control:organizer.index", organizer=organizer.slug)
    return render(request, "eventyay_control/organizers/create.html", {"form": form})


@organizer_view()
def organizer_index(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    grant = request_grant(request, org)
    return render(
        request,
        "eventyay_control/organizers/index.html",
        {
            "organizer": org,
            "events": events_for_user(request.user, organizer=org),
            "can_create_event": grant.has_organizer_permission("organizer.events:create"),
            "now": timezone.now(),
        },
    )


@organizer_view("organizer.settings:write")
def organizer_settings(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    store = org.settings
    initial = {"name": org.name, "require_2fa": org.require_2fa}
    initial.update({key: store.get(key) for key in ORGANIZER_SETTINGS_KEYS})
    form = OrganizerSettingsForm(data=request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organizer_update(
                organizer=org,
                data={key: data[key] for key in OrganizerSettingsForm.FIELDS},
                settings_values={key: data[key] for key in ORGANIZER_SETTINGS_KEYS},
                actor=request.user,
            )
        except ValidationError as error:
            org.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("control:organizer.settings", organizer=org.slug)
    return render(request, "eventyay_control/organizers/settings.html", {"organizer": org, "form": form})


def log_page(request: HttpRequest, entries: QuerySet[LogEntry]) -> Page:
    """One page of ``entries``: a count query and a page query, whatever the page size."""
    return Paginator(entries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))


@organizer_view("organizer.settings:write")
def organizer_log(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    page = log_page(request, log_entries(organizer=org))
    return render(request, "eventyay_control/organizers/log.html", {"organizer": org, "page": page})
