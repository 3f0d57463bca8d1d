"""Reads of the talk plugin, used by views, the API, tasks and other plugins.

The functions other plugins may rely on (documented in the README): :func:`is_speaker`,
:func:`room_now_and_next`, :func:`latest_schedule`, :func:`cfp_is_open`,
:func:`slot_warnings` and :func:`review_dashboard`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from eventyay.base.models import Event, Team, User
from eventyay.base.permissions import grant_for_user
from eventyay_talk.models import (
    AccessCode,
    CfP,
    Review,
    ReviewPhase,
    Room,
    Schedule,
    ScheduleExport,
    SpeakerProfile,
    StarredTalk,
    Submission,
    SubmissionStates,
    SubmissionType,
    TalkSlot,
    Track,
)
from eventyay_talk.models.submission import talk_guid

S = SubmissionStates
SPEAKING_STATES = (S.ACCEPTED, S.CONFIRMED)


# --- CfP ---------------------------------------------------------------------------------------


def cfp_of(event: Event) -> CfP:
    """The event's CfP; an unsaved one with the defaults if the organizer never set it up."""
    cfp = getattr(event, "_talk_cfp", None)
    if cfp is None:
        cfp = CfP.objects.filter(event=event).first() or CfP(event=event)
        # A per-instance cache on the event object, which the model class does not declare.
        event._talk_cfp = cfp  # type: ignore[attr-defined]
    return cfp


def cfp_is_open(
    event: Event,
    *,
    submission_type: SubmissionType | None = None,
    track: Track | None = None,
    access_code: AccessCode | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Whether a new proposal (of this type/track) may be submitted now.

    A submission type's own deadline extends the CfP for that type; a valid access code opens
    it past any deadline for the types and tracks it names (all, if it names none).
    """
    now = now or timezone.now()
    cfp = cfp_of(event)
    if access_code is not None and access_code.is_valid(now):
        types = list(access_code.submission_types.all())
        tracks = list(access_code.tracks.all())
        type_ok = not types or submission_type is None or submission_type in types
        track_ok = not tracks or track is None or track in tracks
        if type_ok and track_ok:
            return True
    if not cfp.has_opened(now):
        return False
    deadline = cfp.deadline
    if submission_type is not None and submission_type.deadline:
        deadline = submission_type.deadline
    elif submission_type is None and deadline is not None:
        deadline = cfp.max_deadline()
    return deadline is None or now <= deadline


def submission_types_open(event: Event, access_code: AccessCode | None = None) -> list[SubmissionType]:
    return [
        stype
        for stype in SubmissionType.objects.filter(event=event)
        if cfp_is_open(event, submission_type=stype, access_code=access_code)
    ]


def speaker_can_edit(submission: Submission) -> bool:
    """Drafts always; otherwise while not decided against and the review phase allows it."""
    if submission.state == S.DRAFT:
        return True
    if submission.state not in (S.SUBMITTED, S.ACCEPTED, S.CONFIRMED):
        return False
    phase = active_review_phase(submission.event)
    return phase is None or phase.speakers_can_change_submissions


def speaker_submissions(event: Event, user: User) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(event=event, speakers=user)
        .select_related("submission_type", "track")
        .prefetch_related("speakers")
        .order_by("-created")
    )


def speaker_profile(event: Event, user: User) -> SpeakerProfile | None:
    return SpeakerProfile.objects.filter(event=event, user=user).first()


# --- review ------------------------------------------------------------------------------------


def active_review_phase(event: Event) -> ReviewPhase | None:
    return ReviewPhase.objects.filter(event=event, is_active=True).first()


def reviewer_tracks(*, user: User, event: Event) -> tuple[bool, set[int] | None]:
    """Whether ``user`` reviews at ``event`` and which track ids (None: all tracks)."""
    teams = list(
        Team.objects.filter(organizer=event.organizer, members=user, talk_reviewer__is_reviewer=True)
        .filter(Q(all_events=True) | Q(limit_events=event))
        .prefetch_related("talk_reviewer__limit_tracks")
        .distinct()
    )
    if not teams:
        return False, None
    tracks: set[int] = set()
    for team in teams:
        limit = {track.pk for track in team.talk_reviewer.limit_tracks.all()}
        if not limit:
            return True, None
        tracks |= limit
    return True, tracks


def is_reviewer_for(*, user: User, submission: Submission) -> bool:
    event = submission.event
    if grant_for_user(user, event.organizer).has_event_permission(event, "event.reviews:write"):
        return True
    reviews, tracks = reviewer_tracks(user=user, event=event)
    if not reviews or (tracks is not None and submission.track_id not in tracks):
        return False
    phase = active_review_phase(event)
    if phase is not None and phase.proposal_visibility == ReviewPhase.Visibility.ASSIGNED:
        return submission.assigned_reviewers.filter(pk=user.pk).exists()
    return True


def review_dashboard(event: Event, user: User) -> list[Submission]:
    """Proposals a reviewer sees, with ``review_count``, ``median``-free ``avg_score`` and
    ``user_review`` (their own review or None); constant queries for any number of proposals.

    Speaker names are left out (``speakers`` not prefetched) when the active phase is blind;
    ``anonymised`` on each row tells the template.
    """
    phase = active_review_phase(event)
    queryset: QuerySet[Submission] = Submission.objects.filter(event=event).exclude(
        state__in=[S.DRAFT, S.WITHDRAWN]
    )
    if not grant_for_user(user, event.organizer).has_event_permission(event, "event.reviews:write"):
        restricted = reviewer_submissions(event, user)
        if restricted is None:
            return []
        queryset = restricted
    blind = phase is not None and not phase.can_see_speaker_names
    queryset = (
        queryset.select_related("track", "submission_type")
        .annotate(review_count=Count("reviews", distinct=True), avg_score=Avg("reviews__score"))
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.filter(user=user), to_attr="own_reviews"),
        )
        .order_by(F("avg_score").desc(nulls_last=True), "pk")
    )
    if not blind:
        queryset = queryset.prefetch_related("speakers")
    rows: list[Submission] = list(queryset)
    for row in rows:
        # Per-row values for the template, attributes the model class does not declare.
        row.user_review = row.own_reviews[0] if row.own_reviews else None  # type: ignore[attr-defined]
        row.anonymised = blind  # type: ignore[attr-defined]
    return rows


def reviewer_submissions(event: Event, user: User) -> QuerySet[Submission] | None:
    """What a reviewer-team member may review now (None: no reviewer of ``event``).

    Their teams' tracks limit it, and so does the active phase when it shows reviewers only
    their assigned proposals. People with the review permission see everything instead.
    """
    reviews, tracks = reviewer_tracks(user=user, event=event)
    if not reviews:
        return None
    queryset = Submission.objects.filter(event=event).exclude(state__in=[S.DRAFT, S.WITHDRAWN])
    if tracks is not None:
        queryset = queryset.filter(track_id__in=tracks)
    phase = active_review_phase(event)
    if phase is not None and phase.proposal_visibility == ReviewPhase.Visibility.ASSIGNED:
        queryset = queryset.filter(assigned_reviewers=user)
    return queryset


def reviewer_visible_reviews(event: Event, user: User) -> QuerySet[Review] | None:
    """Reviews a reviewer-team member may read: of proposals they may review, and others'
    reviews only as far as the active phase allows (None: no reviewer of ``event``)."""
    submissions = reviewer_submissions(event, user)
    if submissions is None:
        return None
    queryset = Review.objects.filter(submission__in=submissions)
    phase = active_review_phase(event)
    others = phase.can_see_other_reviews if phase is not None else ReviewPhase.OtherReviews.ALWAYS
    if others == ReviewPhase.OtherReviews.NEVER:
        queryset = queryset.filter(user=user)
    elif others == ReviewPhase.OtherReviews.AFTER_REVIEW:
        reviewed = Review.objects.filter(user=user).values("submission_id")
        queryset = queryset.filter(Q(user=user) | Q(submission_id__in=reviewed))
    return queryset


# --- schedule ----------------------------------------------------------------------------------


def latest_schedule(event: Event) -> Schedule | None:
    """The most recently released version, or None before the first release."""
    schedule = (
        Schedule.objects.filter(event=event, version__isnull=False, published__isnull=False)
        .order_by("-published", "-pk")
        .first()
    )
    return _with_event(schedule, event)


def latest_export(event: Event, identifier: str) -> ScheduleExport | None:
    """The stored ``identifier`` export of the latest version, with its schedule, in one query
    (None before the first release or when that version has no such export stored yet)."""
    latest = (
        Schedule.objects.filter(event=event, version__isnull=False, published__isnull=False)
        .order_by("-published", "-pk")
        .values("pk")[:1]
    )
    export = (
        ScheduleExport.objects.filter(schedule=Subquery(latest), identifier=identifier)
        .select_related("schedule")
        .first()
    )
    if export is not None:
        export.schedule.event = event
    return export


def _with_event(schedule: Schedule | None, event: Event) -> Schedule | None:
    """Reuse the caller's event (with its organizer) instead of loading it again per schedule."""
    if schedule is not None:
        schedule.event = event
    return schedule


def schedule_by_version(event: Event, version: str) -> Schedule | None:
    """``wip``, ``latest`` or a released version's name."""
    if version == "wip":
        return _with_event(Schedule.objects.filter(event=event, version__isnull=True).first(), event)
    if version == "latest":
        return latest_schedule(event)
    return _with_event(Schedule.objects.filter(event=event, version=version).first(), event)


def released_schedules(event: Event) -> QuerySet[Schedule]:
    return Schedule.objects.filter(event=event, version__isnull=False).order_by("-published", "-pk")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def visitor_timezone(event: Event, requested: str | None) -> zoneinfo.ZoneInfo:
    """The time zone a visitor asked for (``?tz=``), else the event's."""
    if requested and requested in _timezones():
        return zoneinfo.ZoneInfo(requested)
    return event.tz


@lru_cache(maxsize=1)
def common_timezones() -> tuple[str, ...]:
    return tuple(
        sorted(name for name in _timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
    )


@lru_cache(maxsize=64)
def _timezone_options(selected: str) -> str:
    from django.utils.html import format_html, format_html_join

    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((name, " selected" if name == selected else "", name) for name in common_timezones()),
    ) or format_html("")


def timezone_options(selected: str) -> str:
    """The ``<option>`` list of the visitor time zone picker, built once per selected zone."""
    return _timezone_options(selected)


def schedule_slots(schedule: Schedule, *, codes: Iterable[str] | None = None) -> list[TalkSlot]:
    """Scheduled slots with everything a page or export shows, in a fixed number of queries."""
    queryset = (
        schedule.slots.filter(room__isnull=False, start__isnull=False)
        .select_related("room", "submission__track", "submission__submission_type")
        .prefetch_related(Prefetch("submission__speakers", queryset=User.objects.order_by("pk")))
        .order_by("start", "room__position", "room_id", "pk")
    )
    if codes is not None:
        queryset = queryset.filter(submission__code__in=list(codes))
    return list(queryset)


def _profiles(event: Event, slots: list[TalkSlot]) -> dict[int, SpeakerProfile]:
    user_ids = {
        user.pk for slot in slots if slot.submission is not None for user in slot.submission.speakers.all()
    }
    if not user_ids:
        return {}
    return {
        p.user_id: p
        for p in SpeakerProfile.objects.filter(event=event, user_id__in=user_ids).select_related("user")
    }


def _event_url(event: Event, name: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(
        f"plugins:talk:{name}", kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs}
    )


def _talk_url(event: Event, code: str) -> str:
    """``reverse`` once per event and request, not once per talk (large schedules)."""
    prefix = getattr(event, "_talk_url_prefix", None)
    if prefix is None:
        prefix = _event_url(event, "talk", code="CODE").removesuffix("CODE/")
        # A per-instance cache on the event object, which the model class does not declare.
        event._talk_url_prefix = prefix  # type: ignore[attr-defined]
    return f"{prefix}{code}/"


def _person(profile: SpeakerProfile | None, user: User) -> dict[str, Any]:
    import uuid

    from eventyay_talk.models.submission import TALK_GUID_NAMESPACE

    code = profile.code if profile else ""
    return {
        "id": profile.pk if profile else user.pk,
        "code": code,
        "guid": str(uuid.uuid5(TALK_GUID_NAMESPACE, f"speaker/{user.pk}")),
        "name": (profile.display_name if profile else user.get_full_name()),
        "biography": profile.biography if profile else "",
    }


def _start(slot: TalkSlot) -> dt.datetime:
    """The start of a slot placed in the grid (the column is empty for unplaced talks)."""
    if slot.start is None:
        raise ValueError(f"Slot {slot.pk} has no start in the schedule.")
    return slot.start


def _end(slot: TalkSlot) -> dt.datetime:
    """The end of a slot placed in the grid (the column is empty for unplaced talks)."""
    if slot.end is None:
        raise ValueError(f"Slot {slot.pk} has no end in the schedule.")
    return slot.end


def _placement(slot: TalkSlot) -> tuple[dt.datetime, dt.datetime]:
    return _start(slot), _end(slot)


def slot_data(event: Event, slot: TalkSlot, profiles: dict[int, SpeakerProfile], tz: Any) -> dict[str, Any]:
    """One slot as the plain dict exports, pages and other plugins use (placed slots only)."""
    slot_start, slot_end = _placement(slot)
    if slot.room is None:
        raise ValueError(f"Slot {slot.pk} has no room in the schedule.")
    start = timezone.localtime(slot_start, tz)
    end = timezone.localtime(slot_end, tz)
    base = {
        "kind": slot.kind,
        "room": str(slot.room.name),
        "room_id": slot.room_id,
        "start": start,
        "end": end,
        "duration": int((slot_end - slot_start).total_seconds() // 60),
    }
    submission = slot.submission
    if submission is None:
        return {
            **base,
            "guid": str(slot.guid),
            "title": str(slot.description or ""),
            "persons": [],
            "code": "",
        }
    track = submission.track
    return {
        **base,
        "id": submission.pk,
        "guid": str(talk_guid(event, submission.code)),
        "code": submission.code,
        "title": submission.title,
        "slug": _talk_slug(event, submission),
        "type": str(submission.submission_type.name),
        "track": str(track.name) if track is not None else "",
        "track_color": track.color if track is not None else "",
        "language": submission.content_locale,
        "abstract": submission.abstract,
        "description": submission.description,
        "logo": settings.SITE_URL + submission.image.url if submission.image else "",
        "url": _talk_url(event, submission.code),
        "persons": [_person(profiles.get(user.pk), user) for user in submission.speakers.all()],
    }


def _talk_slug(event: Event, submission: Submission) -> str | None:
    from eventyay_talk.exporters import talk_slug

    return talk_slug(event.slug, submission.code, submission.title)


def schedule_export_data(
    schedule: Schedule, *, codes: Iterable[str] | None = None, calendar_name: str = ""
) -> dict[str, Any]:
    """Everything an exporter needs, as plain data (see :mod:`eventyay_talk.exporters`)."""
    from urllib.parse import urlsplit

    from eventyay_talk.exporters import track_slug

    event = schedule.event
    tz = event.tz
    slots = schedule_slots(schedule, codes=codes)
    profiles = _profiles(event, slots)
    talks = [slot_data(event, slot, profiles, tz) for slot in slots]
    rooms = list(Room.objects.filter(event=event))
    tracks = list(Track.objects.filter(event=event))
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for talk in talks:
        by_day[talk["start"].date()].append(talk)
    first = timezone.localtime(event.date_from, tz).date()
    last = timezone.localtime(event.date_to or event.date_from, tz).date()
    dates = sorted(set(by_day) | {first + dt.timedelta(days=n) for n in range((last - first).days + 1)})
    days = []
    for index, date in enumerate(dates, start=1):
        day_talks = by_day.get(date, [])
        midnight = dt.datetime.combine(date, dt.time(0, 0), tzinfo=tz)
        day_rooms: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for talk in day_talks:
            day_rooms[talk["room"]].append(talk)
        days.append(
            {
                "index": index,
                "date": date,
                "start": min((t["start"] for t in day_talks), default=midnight),
                "end": max(
                    (t["end"] for t in day_talks), default=midnight + dt.timedelta(hours=23, minutes=59)
                ),
                "rooms": dict(day_rooms),
            }
        )
    base_url = settings.SITE_URL + event.get_absolute_url()
    return {
        "version": schedule.version or "wip",
        "published": schedule.published,
        "url": _event_url(event, "export.latest", identifier="xml"),
        "calendar_name": calendar_name,
        "conference": {
            "title": str(event.name),
            "acronym": event.slug,
            "start": dates[0] if dates else first,
            "end": dates[-1] if dates else last,
            "time_zone_name": event.timezone,
            "base_url": base_url,
            "url": base_url,
            "host": urlsplit(settings.SITE_URL).hostname or "eventyay",
        },
        "rooms": [
            {
                "name": str(room.name),
                "guid": str(room.guid),
                "description": str(room.description or ""),
                "capacity": room.capacity,
                "position": room.position,
            }
            for room in rooms
        ],
        "tracks": [{"name": str(t.name), "color": t.color, "slug": track_slug(str(t.name))} for t in tracks],
        "days": days,
        "talks": talks,
    }


def public_schedule(schedule: Schedule, *, tz: Any, starred: Iterable[str] = ()) -> dict[str, Any]:
    """The rooms in use and the placed slots per day, in time order, for the public page.

    Reads plain values in three queries (slots, speakers, public names) instead of model
    instances: the page shows a handful of fields of hundreds of talks, and building full
    submissions with their texts was most of the time of an uncached render.
    """
    event = schedule.event
    rows = list(
        schedule.slots.filter(room__isnull=False, start__isnull=False)
        .order_by("start", "room__position", "room_id", "pk")
        .values_list(
            "kind",
            "room_id",
            "start",
            "end",
            "description",
            "submission_id",
            "submission__code",
            "submission__title",
            "submission__track__color",
            "submission__track__name",
        )
    )
    submission_ids = {row[5] for row in rows if row[5] is not None}
    through = Submission.speakers.through
    links = list(
        through.objects.filter(submission_id__in=submission_ids)
        .order_by("user_id")
        .values_list("submission_id", "user_id", "user__fullname", "user__email")
    )
    public_names = dict(
        SpeakerProfile.objects.filter(event=event, user_id__in={link[1] for link in links})
        .exclude(name="")
        .values_list("user_id", "name")
    )
    persons: dict[int, list[str]] = defaultdict(list)
    for submission_id, user_id, fullname, email in links:
        persons[submission_id].append(public_names.get(user_id) or fullname or email)
    starred = set(starred)
    items: list[dict[str, Any]] = []
    for kind, room_id, start, end, description, submission_id, code, title, color, track in rows:
        talk = submission_id is not None
        items.append(
            {
                "kind": kind,
                "room_id": room_id,
                "start": timezone.localtime(start, tz),
                "end": timezone.localtime(end, tz),
                "code": code or "",
                "title": title if talk else str(description or ""),
                "url": _talk_url(event, code) if talk else "",
                "track_color": color or "",
                "track": str(track) if track else "",
                "persons": persons.get(submission_id, []) if talk else [],
                "starred": talk and code in starred,
            }
        )
    rooms = list(Room.objects.filter(event=event, pk__in={item["room_id"] for item in items}))
    room_names = {room.pk: str(room.name) for room in rooms}
    days: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        item["room"] = room_names[item["room_id"]]
        days[item["start"].date()].append(item)
    grid = [{"date": date, "items": days[date]} for date in sorted(days)]
    return {"rooms": rooms, "days": grid, "items": items}


def slot_warnings(schedule: Schedule) -> dict[int, list[str]]:
    """Problems per slot id of a (WIP) schedule, for the editor to show.

    Overlaps in one room, a speaker in two places at once, a talk outside a speaker's or the
    room's availability. Warnings never block a move.
    """
    from django.utils.translation import gettext as _

    event = schedule.event
    slots = schedule_slots(schedule)
    profiles = _profiles(event, slots)
    warnings: dict[int, list[str]] = defaultdict(list)
    by_room: dict[int, list[TalkSlot]] = defaultdict(list)
    by_speaker: dict[int, list[TalkSlot]] = defaultdict(list)
    for slot in slots:
        # schedule_slots() returns placed slots only, so every slot has a room.
        if slot.room_id is not None:
            by_room[slot.room_id].append(slot)
        if slot.submission is not None:
            for speaker in slot.submission.speakers.all():
                by_speaker[speaker.pk].append(slot)

    def overlapping(group: list[TalkSlot]) -> Iterable[tuple[TalkSlot, TalkSlot]]:
        group = sorted(group, key=_start)
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if _start(second) >= _end(first):
                    break
                yield first, second

    for group in by_room.values():
        for first, second in overlapping(group):
            for slot in (first, second):
                warnings[slot.pk].append(_("Overlaps with another slot in the same room."))
    for user_id, group in by_speaker.items():
        for first, second in overlapping(group):
            for slot in (first, second):
                warnings[slot.pk].append(_("A speaker has another talk at the same time."))
        profile = profiles.get(user_id)
        if profile and profile.availabilities:
            for slot in group:
                if not _within(slot, profile.availabilities):
                    warnings[slot.pk].append(
                        _("%(speaker)s is not available at this time.") % {"speaker": profile.display_name}
                    )
    for slot in slots:
        if slot.room is not None and slot.room.availabilities and not _within(slot, slot.room.availabilities):
            warnings[slot.pk].append(_("The room is not available at this time."))
    return {pk: sorted(set(messages)) for pk, messages in warnings.items()}


def _within(slot: TalkSlot, availabilities: list[dict[str, str]]) -> bool:
    start, end = _placement(slot)
    return any(
        dt.datetime.fromisoformat(a["start"]) <= start and end <= dt.datetime.fromisoformat(a["end"])
        for a in availabilities
    )


def unscheduled_slots(schedule: Schedule) -> list[TalkSlot]:
    """WIP talk slots not yet placed (the editor's side list)."""
    return list(
        schedule.slots.filter(Q(room__isnull=True) | Q(start__isnull=True), kind=TalkSlot.Kind.TALK)
        .select_related("submission__track", "submission__submission_type")
        .prefetch_related("submission__speakers")
        .order_by("submission__title")
    )


def unreleased_changes(schedule: Schedule) -> dict[int, str]:
    """WIP slot id -> ``"new"`` or ``"changed"`` against the latest released version (one query).

    Talks are matched by submission, breaks by their guid; a slot placed differently (room,
    start or end) is changed, one the release does not have is new. Without any release
    nothing is marked: everything is new.
    """
    event = schedule.event
    released = latest_schedule(event)
    if released is None:
        return {}
    before: dict[Any, tuple[Any, ...]] = {}
    for submission_id, guid, room_id, start, end in released.slots.values_list(
        "submission_id", "guid", "room_id", "start", "end"
    ):
        before[submission_id or guid] = (room_id, start, end)
    marks: dict[int, str] = {}
    for slot in schedule.slots.filter(room__isnull=False, start__isnull=False).exclude(
        kind=TalkSlot.Kind.BLOCKER
    ):
        key = slot.submission_id or slot.guid
        if key not in before:
            marks[slot.pk] = "new"
        elif before[key] != (slot.room_id, slot.start, slot.end):
            marks[slot.pk] = "changed"
    return marks


def talk_slot(schedule: Schedule | None, code: str) -> TalkSlot | None:
    if schedule is None:
        return None
    return (
        schedule.slots.filter(submission__code=code, room__isnull=False)
        .select_related("room", "submission__track", "submission__submission_type")
        .first()
    )


def public_speakers(event: Event, schedule: Schedule) -> list[SpeakerProfile]:
    """Speakers with a talk in ``schedule``, each with ``public_talks``."""
    slots = schedule_slots(schedule)
    talks_by_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
    profiles = _profiles(event, slots)
    for slot in slots:
        if slot.submission is not None:
            data = slot_data(event, slot, profiles, event.tz)
            for user in slot.submission.speakers.all():
                talks_by_user[user.pk].append(data)
    result = []
    for user_id, profile in profiles.items():
        # For the template: an attribute the model class does not declare.
        profile.public_talks = talks_by_user[user_id]  # type: ignore[attr-defined]
        result.append(profile)
    return sorted(result, key=lambda p: p.display_name.lower())


def public_speaker(event: Event, schedule: Schedule, code: str) -> SpeakerProfile | None:
    """The speaker with profile ``code`` and a talk in ``schedule``, with ``public_talks``.

    Four queries, whatever the size of the conference: the profile, the speaker's own slots,
    their co-speakers and the co-speakers' profiles (never the whole schedule).
    """
    profile = SpeakerProfile.objects.filter(event=event, code=code).select_related("user").first()
    if profile is None:
        return None
    slots = list(
        schedule.slots.filter(room__isnull=False, start__isnull=False, submission__speakers=profile.user_id)
        .select_related("room", "submission__track", "submission__submission_type")
        .prefetch_related(Prefetch("submission__speakers", queryset=User.objects.order_by("pk")))
        .order_by("start", "room__position", "room_id", "pk")
    )
    if not slots:
        return None
    profiles = _profiles(event, slots)
    # For the template: an attribute the model class does not declare.
    profile.public_talks = [slot_data(event, slot, profiles, event.tz) for slot in slots]  # type: ignore[attr-defined]
    return profile


def starred_codes(event: Event, user: Any) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(StarredTalk.objects.filter(event=event, user=user).values_list("submission__code", flat=True))


def starred_talks(event: Event, user: Any, schedule: Schedule) -> list[TalkSlot]:
    """The visitor's starred talks in ``schedule``, in time order (two queries)."""
    return list(
        schedule.slots.filter(submission__stars__user=user, room__isnull=False)
        .select_related("submission", "room")
        .order_by("start")
    )


# --- for other plugins -------------------------------------------------------------------------


def is_speaker(*, event: Event, user: Any) -> bool:
    """Whether ``user`` speaks at ``event``: a speaker of an accepted or confirmed proposal."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return Submission.objects.filter(event=event, speakers=user, state__in=SPEAKING_STATES).exists()


def room_now_and_next(
    *, event: Event, room_name: str, now: dt.datetime
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The talk running in the room named ``room_name`` at ``now`` and the one after it.

    Read from the latest released schedule. Each is ``{"title", "speakers" (names), "start",
    "end" (aware datetimes), "url"}`` or None. Breaks count as neither.
    """
    schedule = latest_schedule(event)
    if schedule is None:
        return None, None
    rooms = [room.pk for room in Room.objects.filter(event=event) if str(room.name) == room_name]
    if not rooms:
        return None, None
    slots = list(
        schedule.slots.filter(
            room_id__in=rooms, kind=TalkSlot.Kind.TALK, end__gt=now, submission__isnull=False
        )
        .select_related("submission")
        .prefetch_related("submission__speakers")
        .order_by("start")[:2]
    )
    # The query excludes slots without a submission or time; the checks tell the type checker.
    talks = [
        (slot, slot.submission, slot.start)
        for slot in slots
        if slot.submission is not None and slot.start is not None
    ]
    profiles = {
        p.user_id: p
        for p in SpeakerProfile.objects.filter(
            event=event, user__in=[u for talk in talks for u in talk[1].speakers.all()]
        ).select_related("user")
    }

    def describe(slot: TalkSlot, submission: Submission) -> dict[str, Any]:
        return {
            "title": submission.title,
            "speakers": [
                profiles[u.pk].display_name if u.pk in profiles else u.get_full_name()
                for u in submission.speakers.all()
            ],
            "start": slot.start,
            "end": slot.end,
            "url": _event_url(event, "talk", code=submission.code),
        }

    current = talks[0] if talks and talks[0][2] <= now else None
    upcoming = [(slot, submission) for slot, submission, start in talks if start > now]
    return (
        describe(current[0], current[1]) if current else None,
        describe(*upcoming[0]) if upcoming else None,
    )
