"""Control panel pages of the exhibition (exhibitors, staff, leads) and the poster hall."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope

from eventyay.base.exporters import neutralise_formula
from eventyay.base.models import Event
from eventyay.base.storage import serve_private_file
from eventyay_video import exhibition
from eventyay_video.exhibition_forms import ExhibitorForm, PosterForm, StaffForm
from eventyay_video.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_video.models import ContactRequest, Exhibitor, Moderator, Poster
from eventyay_video.views import team_permission


def _form_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _render(request: HttpRequest, event: Event, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"eventyay_video/control/{template}", {"event": event, **context})


def _to(name: str, event: Event, **kwargs: Any) -> HttpResponse:
    return redirect(
        f"plugins:video:control.{name}", organizer=event.organizer.slug, event=event.slug, **kwargs
    )


def _exhibitor_data(form: ExhibitorForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@team_permission(WRITE_PERMISSION)
def exhibitors(request: HttpRequest, event: Event) -> HttpResponse:
    form = ExhibitorForm(request.POST or None, request.FILES or None, event=event, prefix="exhibitor")
    if request.method == "POST" and form.is_valid():
        try:
            exhibitor = exhibition.exhibitor_save(event=event, data=_exhibitor_data(form), actor=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The exhibitor has been created."))
            return _to("exhibitor", event, exhibitor=exhibitor.pk)
    listed = (
        Exhibitor.objects.filter(event=event)
        .select_related("room")
        .annotate(
            lead_count=Count(
                "contact_requests", filter=Q(contact_requests__state=ContactRequest.State.ACCEPTED)
            ),
            open_count=Count("contact_requests", filter=Q(contact_requests__state=ContactRequest.State.OPEN)),
        )
        .order_by("order", "name", "pk")
    )
    return _render(request, event, "exhibitors.html", {"form": form, "exhibitors": listed})


@team_permission(WRITE_PERMISSION)
def exhibitor_detail(request: HttpRequest, event: Event, exhibitor: int) -> HttpResponse:
    the_exhibitor: Exhibitor = get_object_or_404(
        Exhibitor.objects.select_related("room"), event=event, pk=exhibitor
    )
    posted = request.method == "POST"
    form = ExhibitorForm(
        request.POST if posted and "save" in request.POST else None,
        request.FILES if posted and "save" in request.POST else None,
        instance=the_exhibitor,
        event=event,
        prefix="exhibitor",
    )
    staff_form = StaffForm(request.POST if posted and "add_staff" in request.POST else None, prefix="staff")
    if posted:
        if "save" in request.POST and form.is_valid():
            try:
                exhibition.exhibitor_save(
                    event=event, exhibitor=the_exhibitor, data=_exhibitor_data(form), actor=request.user
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Your changes have been saved."))
                return _to("exhibitor", event, exhibitor=the_exhibitor.pk)
        elif "add_staff" in request.POST and staff_form.is_valid():
            try:
                exhibition.exhibitor_staff_add(
                    exhibitor=the_exhibitor, actor=request.user, **staff_form.cleaned_data
                )
            except ValidationError as exc:
                _form_errors(staff_form, exc)
            else:
                messages.success(request, _("The staff member has been added."))
                return _to("exhibitor", event, exhibitor=the_exhibitor.pk)
        elif "remove_staff" in request.POST:
            moderator = get_object_or_404(
                Moderator, event=event, room=the_exhibitor.room, pk=request.POST.get("remove_staff")
            )
            exhibition.exhibitor_staff_remove(moderator=moderator, actor=request.user)
            messages.success(request, _("The staff member has been removed."))
            return _to("exhibitor", event, exhibitor=the_exhibitor.pk)
    staff = Moderator.objects.filter(event=event, room=the_exhibitor.room) if the_exhibitor.room else []
    context = {
        "exhibitor": the_exhibitor,
        "form": form,
        "staff_form": staff_form,
        "staff": staff,
        "requests": ContactRequest.objects.filter(exhibitor=the_exhibitor).order_by("-created", "-pk")[:500],
    }
    return _render(request, event, "exhibitor.html", context)


@require_POST
@team_permission(WRITE_PERMISSION)
def exhibitor_delete(request: HttpRequest, event: Event, exhibitor: int) -> HttpResponse:
    exhibition.exhibitor_delete(
        exhibitor=get_object_or_404(Exhibitor, event=event, pk=exhibitor), actor=request.user
    )
    messages.success(request, _("The exhibitor has been deleted."))
    return _to("exhibitors", event)


class _Echo:
    def write(self, value: str) -> str:
        return value


@team_permission(READ_PERMISSION, WRITE_PERMISSION)
def leads_csv(request: HttpRequest, event: Event, exhibitor: int | None = None) -> HttpResponse:
    """Accepted contact requests as CSV: of one exhibitor, or of all."""
    the_exhibitor = get_object_or_404(Exhibitor, event=event, pk=exhibitor) if exhibitor is not None else None
    organizer = event.organizer
    writer = csv.writer(_Echo())

    def rows() -> Any:
        yield writer.writerow([str(label) for _key, label in exhibition.LEAD_COLUMNS])
        # A streamed response runs after the view returns: the rows are read in the scope again.
        with scope(organizer=organizer):
            for row in exhibition.lead_rows(
                exhibition.leads(event=event, exhibitor=the_exhibitor).iterator()
            ):
                # Attendees write the names and messages: no cell may start a spreadsheet formula.
                yield writer.writerow([neutralise_formula(str(cell)) for cell in row])

    name = f"{event.slug}-leads" + (f"-{the_exhibitor.pk}" if the_exhibitor else "") + ".csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # The team decorator is typed for plain responses; a streamed one serves the same.
    return response  # type: ignore[return-value]


@team_permission(WRITE_PERMISSION)
def posters(request: HttpRequest, event: Event) -> HttpResponse:
    form = PosterForm(request.POST or None, request.FILES or None, event=event, prefix="poster")
    if request.method == "POST" and form.is_valid():
        try:
            poster = exhibition.poster_save(event=event, data=dict(form.cleaned_data), actor=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The poster has been created."))
            return _to("poster", event, poster=poster.pk)
    listed = (
        Poster.objects.filter(event=event)
        .select_related("room")
        .annotate(vote_count=Count("votes"))
        .order_by("order", "title", "pk")
    )
    return _render(request, event, "posters.html", {"form": form, "posters": listed})


@team_permission(WRITE_PERMISSION)
def poster_detail(request: HttpRequest, event: Event, poster: int) -> HttpResponse:
    the_poster = get_object_or_404(Poster, event=event, pk=poster)
    form = PosterForm(
        request.POST or None, request.FILES or None, instance=the_poster, event=event, prefix="poster"
    )
    if request.method == "POST" and form.is_valid():
        try:
            exhibition.poster_save(
                event=event, poster=the_poster, data=dict(form.cleaned_data), actor=request.user
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your changes have been saved."))
            return _to("poster", event, poster=the_poster.pk)
    votes = the_poster.votes.count()
    return _render(request, event, "poster.html", {"poster": the_poster, "form": form, "votes": votes})


@require_POST
@team_permission(WRITE_PERMISSION)
def poster_delete(request: HttpRequest, event: Event, poster: int) -> HttpResponse:
    exhibition.poster_delete(poster=get_object_or_404(Poster, event=event, pk=poster), actor=request.user)
    messages.success(request, _("The poster has been deleted."))
    return _to("posters", event)


@team_permission(READ_PERMISSION, WRITE_PERMISSION)
def poster_pdf(request: HttpRequest, event: Event, poster: int) -> HttpResponse:
    the_poster = get_object_or_404(Poster, event=event, pk=poster)
    response = serve_private_file(
        request,
        the_poster.pdf.name,
        filename=the_poster.pdf_name or "poster.pdf",
        content_type="application/pdf",
    )
    # The team decorator is typed for plain responses; a file response serves the same.
    return response  # type: ignore[return-value]


def poster_pdf_public(request: HttpRequest, organizer: str, event: str, poster: int) -> HttpResponseBase:
    """An attendee's PDF link: signed for the poster by ``poster.get`` and valid for an hour."""
    the_event: Event = request.event  # type: ignore[attr-defined]
    with scope(organizer=the_event.organizer):
        the_poster = Poster.objects.filter(event=the_event, pk=poster).first()
    if the_poster is None or not exhibition.poster_pdf_token_valid(the_poster, request.GET.get("s", "")):
        raise Http404()
    return serve_private_file(
        request,
        the_poster.pdf.name,
        filename=the_poster.pdf_name or "poster.pdf",
        content_type="application/pdf",
        as_attachment=False,
    )
