"""What eventyay pushes: the released schedule, its sessions and their speakers, as HTML pages.

Each builder reads the current state, so an outbox row sent late pushes the latest version.
``None`` means the resource no longer exists (a session taken off the schedule): its remote
copy is deleted.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.text import slugify

from eventyay.base.models import Event
from eventyay_cms.connectors.base import PushPayload

SCHEDULE = "schedule"


def resource_slug(event: Event, resource: str) -> str:
    """The deterministic slug of a pushed resource (looked up again after a crash)."""
    return slugify(f"{event.slug}-{resource.replace(':', '-')}")[:190]


def resource_kind(resource: str) -> str:
    """Which push capability a resource belongs to: speakers, or the schedule with its sessions."""
    return "speakers" if resource.startswith("speaker:") else "schedule"


def _released_slots(event: Event) -> list[Any]:
    from eventyay_talk.selectors import latest_schedule

    schedule = latest_schedule(event)
    if schedule is None:
        return []
    return list(
        schedule.slots.filter(submission__isnull=False, start__isnull=False)
        .select_related("submission", "room")
        .prefetch_related("submission__speakers")
        .order_by("start", "room__position", "pk")
    )


def _profiles(event: Event, users: set[int]) -> dict[int, Any]:
    from eventyay_talk.models import SpeakerProfile

    return {
        profile.user_id: profile
        for profile in SpeakerProfile.objects.filter(event=event, user_id__in=users).select_related("user")
    }


def released_resources(event: Event) -> list[str]:
    """Every resource of the released schedule: the schedule, each session, each speaker."""
    slots = _released_slots(event)
    users = {user.pk for slot in slots for user in slot.submission.speakers.all()}
    profiles = _profiles(event, users)
    return [
        SCHEDULE,
        *[f"session:{slot.submission.code}" for slot in slots],
        *sorted(f"speaker:{profile.code}" for profile in profiles.values()),
    ]


def build_payload(event: Event, resource: str) -> PushPayload | None:
    slots = _released_slots(event)
    users = {user.pk for slot in slots for user in slot.submission.speakers.all()}
    profiles = _profiles(event, users)
    context: dict[str, Any] = {"event": event}
    if resource == SCHEDULE:
        if not slots:
            return None
        context["slots"] = [
            (slot, [profiles.get(u.pk) for u in slot.submission.speakers.all()]) for slot in slots
        ]
        title = f"{event.name} – Schedule"
        template = "schedule"
    elif resource.startswith("session:"):
        code = resource.partition(":")[2]
        slot = next((slot for slot in slots if slot.submission.code == code), None)
        if slot is None:
            return None
        context["slot"] = slot
        context["speakers"] = [profiles[u.pk] for u in slot.submission.speakers.all() if u.pk in profiles]
        title = slot.submission.title
        template = "session"
    elif resource.startswith("speaker:"):
        code = resource.partition(":")[2]
        profile = next((p for p in profiles.values() if p.code == code), None)
        if profile is None:
            return None
        context["profile"] = profile
        context["sessions"] = [
            slot for slot in slots if profile.user_id in {u.pk for u in slot.submission.speakers.all()}
        ]
        title = profile.display_name
        template = "speaker"
    else:
        return None
    html = render_to_string(f"eventyay_cms/push/{template}.html", context)
    return PushPayload(slug=resource_slug(event, resource), title=str(title), html=html.strip())
