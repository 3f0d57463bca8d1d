"""Reads for control panel pages: what a user may see, and audit log pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django_scopes import scopes_disabled

from eventyay.base.models import Event, LogEntry, Organizer, Team


def organizers_for_user(user: Any) -> list[Organizer]:
    """Organizers the user is a member of (all of them for instance administrators)."""
    with scopes_disabled():
        if user.is_superuser:
            return list(Organizer.objects.order_by("name"))
        return list(Organizer.objects.filter(teams__members=user).distinct().order_by("name"))


def events_for_user(user: Any, organizer: Organizer | None = None) -> list[Event]:
    """Events the user may see: via an "all events" team, a team limited to them, or as admin."""
    with scopes_disabled():
        events = Event.objects.select_related("organizer")
        if organizer is not None:
            events = events.filter(organizer=organizer)
        if not user.is_superuser:
            events = events.filter(
                Q(organizer__in=Team.objects.filter(members=user, all_events=True).values("organizer"))
                | Q(pk__in=Team.limit_events.through.objects.filter(team__members=user).values("event"))
            )
        return list(events.order_by("-date_from", "slug"))


def teams_of(organizer: Organizer) -> QuerySet[Team]:
    return (
        Team.objects.filter(organizer=organizer)
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related("limit_events")
        .order_by("name")
    )


def log_entries(*, organizer: Organizer, event: Event | None = None) -> QuerySet[LogEntry]:
    """Audit entries newest first, with everything the log page shows joined in."""
    entries = LogEntry.objects.filter(organizer=organizer)
    if event is not None:
        entries = entries.filter(event=event)
    return entries.select_related("user", "api_token", "oauth_application", "event", "content_type")


def can_create_organizer(user: Any) -> bool:
    from django.conf import settings

    return bool(user.is_authenticated and (user.is_superuser or settings.ALLOW_ORGANIZER_CREATION))
