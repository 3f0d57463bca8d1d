"""Rooms, the work-in-progress schedule editor and releasing schedule versions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.services.action_jobs import action_job_url
from eventyay.control.forms import add_service_errors
from eventyay.control.permissions import event_view
from eventyay_talk.control import forms
from eventyay_talk.control.common import SCHEDULE, error_text, in_event_timezone, to
from eventyay_talk.jobs import schedule_release_job_create
from eventyay_talk.models import Room, TalkSlot
from eventyay_talk.models.submission import SubmissionStates
from eventyay_talk.selectors import (
    released_schedules,
    schedule_slots,
    slot_warnings,
    unreleased_changes,
    unscheduled_slots,
)
from eventyay_talk.services.schedule import (
    break_create,
    room_availability_add,
    room_availability_remove,
    room_delete,
    room_save,
    schedule_version_validate,
    slot_schedule,
    slot_unschedule,
    wip_schedule,
)

#: Rows of the editor grid, in minutes.
STEP = 30
DAY_START = dt.time(8, 0)
DAY_END = dt.time(20, 0)


@event_view(SCHEDULE)
def rooms(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    rows = list(Room.objects.filter(event=request.event))  # type: ignore[attr-defined]
    return render(request, "eventyay_talk/control/rooms.html", {"rooms": rows})


@event_view(SCHEDULE)
def room_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    instance = get_object_or_404(Room, event=ev, pk=pk) if pk else Room(event=ev)
    if request.method == "POST" and request.POST.get("delete") and instance.pk:
        try:
            room_delete(room=instance, actor=request.user)
        except ValidationError as error:
            messages.error(request, error_text(error))
            return to(request, "control.room", pk=instance.pk)
        messages.success(request, _("Deleted."))
        return to(request, "control.rooms")
    form = forms.RoomForm(request.POST or None, instance=instance, event=ev)
    if request.method == "POST" and form.is_valid():
        try:
            room_save(
                event=ev, data=form.service_data(), room=instance if instance.pk else None, actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return to(request, "control.rooms")
    return render(
        request,
        "eventyay_talk/control/form.html",
        {
            "form": form,
            "title": _("Room"),
            "object": instance if instance.pk else None,
            "back": "control.rooms",
            "delete": bool(instance.pk),
        },
    )


@event_view(SCHEDULE)
@in_event_timezone
def room_availability(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    """List, add and remove the windows in which a room can be used (no JavaScript needed)."""
    ev = request.event  # type: ignore[attr-defined]
    room = get_object_or_404(Room, event=ev, pk=pk)
    room.event = ev
    form = forms.AvailabilityForm(request.POST if request.POST.get("action") == "add" else None)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            try:
                room_availability_remove(room=room, start=request.POST.get("start", ""), actor=request.user)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("The availability has been removed."))
            return to(request, "control.room.availability", pk=room.pk)
        if form.is_valid():
            try:
                room_availability_add(
                    room=room,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    actor=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The availability has been added."))
                return to(request, "control.room.availability", pk=room.pk)
        status = 400
    windows = [
        {
            "stored": window["start"],
            "start": dt.datetime.fromisoformat(window["start"]),
            "end": dt.datetime.fromisoformat(window["end"]),
        }
        for window in room.availabilities
    ]
    return render(
        request,
        "eventyay_talk/control/room_availability.html",
        {"room": room, "windows": windows, "form": form},
        status=status,
    )


def _days(event: Any, slots: list[TalkSlot]) -> list[dt.date]:
    tz = timezone.get_current_timezone()
    days = set()
    if event.date_from:
        first = event.date_from.astimezone(tz).date()
        last = (event.date_to or event.date_from).astimezone(tz).date()
        days = {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}
    days |= {slot.start.astimezone(tz).date() for slot in slots if slot.start}
    return sorted(days)


def _local_minute(value: dt.datetime) -> dt.datetime:
    return value.astimezone(timezone.get_current_timezone()).replace(second=0, microsecond=0)


def _row_time(value: dt.datetime) -> dt.datetime:
    local = value.astimezone(timezone.get_current_timezone())
    return local.replace(minute=local.minute - local.minute % STEP, second=0, microsecond=0)


def editor_grid(event: Any, rooms: list[Room], slots: list[TalkSlot]) -> list[dict[str, Any]]:
    """Per day: rows of ``STEP`` minutes, each with one cell per room holding the slots that start there."""
    tz = timezone.get_current_timezone()
    placed: dict[tuple[dt.datetime, int | None], list[TalkSlot]] = defaultdict(list)
    for slot in slots:
        if slot.start is None:
            continue
        # A slot starts in the row of its own start time, even off the grid's steps (10:10).
        placed[(_local_minute(slot.start), slot.room_id)].append(slot)
    grid = []
    for day in _days(event, slots):
        times = set()
        moment = dt.datetime.combine(day, DAY_START, tzinfo=tz)
        end = dt.datetime.combine(day, DAY_END, tzinfo=tz)
        while moment < end:
            times.add(moment)
            moment += dt.timedelta(minutes=STEP)
        times |= {start for start, _room in placed if start.date() == day}
        rows = [
            {
                "time": moment,
                "cells": [
                    {"room": room, "start": moment, "slots": placed.get((moment, room.pk), [])}
                    for room in rooms
                ],
            }
            for moment in sorted(times)
        ]
        grid.append({"day": day, "rows": rows})
    return grid


@event_view(SCHEDULE)
@in_event_timezone
def editor(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    wip = wip_schedule(event=ev)
    wip.event = ev
    room_list = list(Room.objects.filter(event=ev))
    slots = schedule_slots(wip)
    warnings = slot_warnings(wip)
    changes = unreleased_changes(wip)
    unpublished = 0
    for slot in slots:
        slot.warnings = warnings.get(slot.pk, [])  # type: ignore[attr-defined]
        slot.change = changes.get(slot.pk, "")  # type: ignore[attr-defined]
        # Only confirmed talks and breaks are released; the editor says so on every other slot.
        hidden = slot.kind == TalkSlot.Kind.BLOCKER or (
            slot.submission is not None and slot.submission.state != SubmissionStates.CONFIRMED
        )
        slot.unpublished = hidden  # type: ignore[attr-defined]
        unpublished += bool(hidden and slot.kind == TalkSlot.Kind.TALK)
    return render(
        request,
        "eventyay_talk/control/schedule_editor.html",
        {
            "days": editor_grid(ev, room_list, slots),
            "rooms": room_list,
            "unscheduled": unscheduled_slots(wip),
            "warning_count": len(warnings),
            "unpublished_count": unpublished,
            "change_count": len(changes),
            "latest": next(iter(released_schedules(ev)[:1]), None),
            "release_form": forms.ReleaseForm(),
            "break_form": forms.BreakForm(event=ev, prefix="break"),
            "versions": list(released_schedules(ev)[:20]),
        },
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@require_POST
@event_view(SCHEDULE)
@in_event_timezone
def slot_move(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    slot: TalkSlot = get_object_or_404(
        TalkSlot.objects.select_related("schedule", "submission__submission_type"),
        schedule__event=ev,
        schedule__version__isnull=True,
        pk=pk,
    )
    slot.schedule.event = ev
    form = forms.SlotMoveForm(request.POST, event=ev)
    error = ""
    if form.is_valid():
        try:
            if form.cleaned_data["room"] is None:
                slot_unschedule(slot=slot, actor=request.user)
            else:
                start = form.cleaned_data["start"]
                end = None
                if slot.submission_id is None and slot.start and slot.end:
                    end = start + (slot.end - slot.start)
                slot_schedule(
                    slot=slot, room=form.cleaned_data["room"], start=start, end=end, actor=request.user
                )
        except ValidationError as exc:
            error = error_text(exc)
    else:
        error = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
    if _wants_json(request):
        return JsonResponse({"ok": not error, "error": error}, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("The slot has been moved."))
    return to(request, "control.schedule")


@require_POST
@event_view(SCHEDULE)
@in_event_timezone
def break_add(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    form = forms.BreakForm(request.POST, event=ev, prefix="break")
    if not form.is_valid():
        messages.error(
            request, " ".join(str(message) for problems in form.errors.values() for message in problems)
        )
        return to(request, "control.schedule")
    data = form.cleaned_data
    try:
        break_create(
            event=ev,
            room=data["room"],
            start=data["start"],
            end=data["end"],
            description=data["description"],
            kind=data["kind"],
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Added to the schedule."))
    return to(request, "control.schedule")


@event_view(SCHEDULE)
def release(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    form = forms.ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # A taken or reserved name is a form error now, not a failed job later.
            version = schedule_version_validate(event=ev, version=form.cleaned_data["version"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Rendering every export and mailing the speakers takes a while: a job does it.
            job = schedule_release_job_create(
                event=ev,
                user=request.user,  # type: ignore[arg-type]
                version=version,
                comment=form.cleaned_data["comment"],
                notify_speakers=form.cleaned_data["notify_speakers"],
            )
            return redirect(action_job_url(job))
    return render(
        request,
        "eventyay_talk/control/release.html",
        {"form": form, "versions": list(released_schedules(ev))},
    )
