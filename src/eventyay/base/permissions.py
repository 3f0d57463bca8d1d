"""Team permissions: the names core defines, and checking them for users and API tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from eventyay.base.plugins.records import TeamPermission

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer, Team

CORE_PERMISSIONS = [
    TeamPermission("organizer.events:create", _("Create events")),
    TeamPermission("organizer.settings:write", _("Change organizer settings, webhooks and API access")),
    TeamPermission("organizer.teams:write", _("Manage teams, members and API tokens")),
    TeamPermission("event.settings:read", _("View event settings")),
    TeamPermission("event.settings:write", _("Change event settings and plugins")),
]


def all_permissions() -> list[TeamPermission]:
    """Core permissions followed by those plugins register."""
    from eventyay.base.plugins.manager import collect_records, plugin_manager

    return collect_records(plugin_manager.hook.register_team_permissions)


def permission_names() -> set[str]:
    return {permission.name for permission in all_permissions()}


@dataclass(frozen=True)
class Grant:
    """What one actor (a user's teams, or one team's API token) may do within one organizer."""

    organizer_permissions: frozenset[str] = frozenset()
    #: Event permissions that hold on every event of the organizer.
    all_events_permissions: frozenset[str] = frozenset()
    #: Event id → permissions that hold on that event only.
    event_permissions: dict[int, frozenset[str]] = field(default_factory=dict)
    #: Whether a team with "all events" is among the actor's teams (sees every event).
    covers_all_events: bool = False
    #: Instance administrators may do everything.
    is_admin: bool = False

    @property
    def is_member(self) -> bool:
        return self.is_admin or bool(
            self.organizer_permissions or self.covers_all_events or self.event_permissions
        )

    def has_organizer_permission(self, permission: str) -> bool:
        return self.is_admin or permission in self.organizer_permissions

    def can_see_event(self, event: Event) -> bool:
        return self.is_admin or self.covers_all_events or event.pk in self.event_permissions

    def event_permission_set(self, event: Event) -> frozenset[str]:
        return self.all_events_permissions | self.event_permissions.get(event.pk, frozenset())

    def has_event_permission(self, event: Event, permission: str) -> bool:
        return self.is_admin or permission in self.event_permission_set(event)


def _grant_from_teams(teams: list[Team], *, is_admin: bool = False) -> Grant:
    organizer_permissions: set[str] = set()
    all_events: set[str] = set()
    per_event: dict[int, set[str]] = {}
    covers_all_events = False
    for team in teams:
        perms = set(team.permissions)
        organizer_permissions |= {p for p in perms if p.startswith("organizer.")}
        event_perms = {p for p in perms if p.startswith("event.")}
        if team.all_events:
            covers_all_events = True
            all_events |= event_perms
        else:
            for event in team.limit_events.all():
                per_event.setdefault(event.pk, set()).update(event_perms)
    return Grant(
        organizer_permissions=frozenset(organizer_permissions),
        all_events_permissions=frozenset(all_events),
        event_permissions={pk: frozenset(p) for pk, p in per_event.items()},
        covers_all_events=covers_all_events,
        is_admin=is_admin,
    )


def grant_for_user(user: Any, organizer: Organizer) -> Grant:
    """The combined permissions of ``user``'s teams at ``organizer`` (two queries)."""
    from eventyay.base.models import Team

    if not user.is_authenticated:
        return _grant_from_teams([])
    with scopes_disabled():
        teams = list(Team.objects.filter(organizer=organizer, members=user).prefetch_related("limit_events"))
    return _grant_from_teams(teams, is_admin=user.is_superuser)


def grant_for_team(team: Team) -> Grant:
    with scopes_disabled():
        return _grant_from_teams([team])
