"""Teams, their members, invitations and API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from eventyay.base.models import Event, Organizer, Team, TeamAPIToken, TeamInvite, User
from eventyay.base.permissions import permission_names
from eventyay.base.services.log import Actor, changes, log_action
from eventyay.base.services.mail import mail_queue
from eventyay.base.services.webhooks import webhook_emit

#: Whoever holds this permission can repair every other team, so an organizer must keep one such member.
TEAMS_PERMISSION = "organizer.teams:write"


def _ensure_someone_manages_teams(organizer: Organizer) -> None:
    """Refuse a change that would leave the organizer without a member who can manage teams.

    Called inside the transaction after the change, so raising rolls it back.
    """
    teams = Team.objects.filter(organizer=organizer).prefetch_related("members")
    if not any(team.has_permission(TEAMS_PERMISSION) and team.members.all() for team in teams):
        raise ValidationError(
            _(
                "This change would leave nobody who can manage the organizer's teams. "
                "Give another member that permission first."
            )
        )


def _validated_permissions(permissions: Iterable[str]) -> list[str]:
    known = permission_names()
    unknown = sorted(set(permissions) - known)
    if unknown:
        raise ValidationError({"permissions": [_("Unknown permission: %s") % ", ".join(unknown)]})
    return sorted(set(permissions))


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "permissions": list(team.permissions),
        "all_events": team.all_events,
        "limit_events": sorted(e.slug for e in team.limit_events.all()) if team.pk else [],
    }


def team_save(
    *,
    organizer: Organizer,
    name: str,
    permissions: Iterable[str],
    all_events: bool,
    limit_events: Iterable[Event] = (),
    team: Team | None = None,
    actor: Actor = None,
) -> Team:
    """Create a team, or change ``team``, in one transaction with an audit entry."""
    limit_events = list(limit_events)
    if any(event.organizer_id != organizer.pk for event in limit_events):
        raise ValidationError({"limit_events": [_("Events must belong to this organizer.")]})
    with transaction.atomic():
        before = _team_snapshot(team) if team else {}
        if team is None:
            team = Team(organizer=organizer)
        team.name = name
        team.permissions = _validated_permissions(permissions)
        team.all_events = all_events
        team.full_clean(exclude=["organizer"])
        created = team.pk is None
        team.save()
        team.limit_events.set([] if all_events else limit_events)
        if not created:
            _ensure_someone_manages_teams(organizer)
        log_action(
            action="eventyay.team.created" if created else "eventyay.team.changed",
            organizer=organizer,
            obj=team,
            actor=actor,
            data=changes(before, _team_snapshot(team)),
        )
    return team


def team_delete(*, team: Team, actor: Actor = None) -> None:
    with transaction.atomic():
        log_action(
            action="eventyay.team.deleted",
            organizer=team.organizer,
            obj=team,
            actor=actor,
            data={"name": team.name},
        )
        team.delete()
        _ensure_someone_manages_teams(team.organizer)


def team_invite(*, team: Team, email: str, actor: Actor = None) -> TeamInvite | None:
    """Add an existing user at once, or invite ``email`` by mail. Returns the invite, if one was sent."""
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            team_member_add(team=team, user=user, actor=actor)
            return None
        invite, created = TeamInvite.objects.get_or_create(team=team, email=email)
        log_action(
            action="eventyay.team.invite.created",
            organizer=team.organizer,
            obj=team,
            actor=actor,
            data={"email": email},
        )
        from django.conf import settings

        url = settings.SITE_URL + reverse("control:auth.invite", kwargs={"token": invite.token})
        mail_queue(
            organizer=team.organizer,
            to=[email],
            subject=_("You have been invited to join %(team)s at %(organizer)s")
            % {"team": team.name, "organizer": team.organizer.name},
            body=_(
                "Hello,\n\nyou have been invited to the team “%(team)s” of %(organizer)s.\n\n"
                "Accept the invitation here:\n%(url)s\n"
            )
            % {"team": team.name, "organizer": team.organizer.name, "url": url},
            delivery_key=f"team-invite-{invite.pk}-{invite.token[:8]}" if created else None,
        )
    return invite


def team_member_add(*, team: Team, user: User, actor: Actor = None) -> None:
    with transaction.atomic():
        if team.members.filter(pk=user.pk).exists():
            return
        team.members.add(user)
        log_action(
            action="eventyay.team.member.added",
            organizer=team.organizer,
            obj=team,
            actor=actor,
            data={"email": user.email},
        )
        webhook_emit(
            organizer=team.organizer,
            action="team.member.added",
            object_id=team.pk,
            data={"email": user.email},
        )


def team_member_remove(*, team: Team, user: User, actor: Actor = None) -> None:
    with transaction.atomic():
        team.members.remove(user)
        _ensure_someone_manages_teams(team.organizer)
        log_action(
            action="eventyay.team.member.removed",
            organizer=team.organizer,
            obj=team,
            actor=actor,
            data={"email": user.email},
        )
        webhook_emit(
            organizer=team.organizer,
            action="team.member.removed",
            object_id=team.pk,
            data={"email": user.email},
        )


def invite_withdraw(*, invite: TeamInvite, actor: Actor = None) -> None:
    """Withdraw a pending invitation: its link stops working at once."""
    with transaction.atomic():
        log_action(
            action="eventyay.team.invite.deleted",
            organizer=invite.team.organizer,
            obj=invite.team,
            actor=actor,
            data={"email": invite.email},
        )
        invite.delete()


def invite_accept(*, invite: TeamInvite, user: User) -> Team:
    with transaction.atomic():
        team = invite.team
        team_member_add(team=team, user=user, actor=user)
        invite.delete()
    return team


def token_create(*, team: Team, name: str, actor: Actor = None) -> tuple[TeamAPIToken, str]:
    """Create an API token; returns it with the secret, which is shown once and never stored."""
    secret = TeamAPIToken.generate_secret()
    with transaction.atomic():
        token = TeamAPIToken(team=team, name=name, token_hash=TeamAPIToken.hash(secret), prefix=secret[:6])
        token.full_clean(exclude=["team"])
        token.save()
        log_action(
            action="eventyay.team.token.created",
            organizer=team.organizer,
            obj=team,
            actor=actor,
            data={"name": name},
        )
    return token, secret


def token_revoke(*, token: TeamAPIToken, actor: Actor = None) -> None:
    with transaction.atomic():
        token.active = False
        token.save(update_fields=["active"])
        log_action(
            action="eventyay.team.token.revoked",
            organizer=token.team.organizer,
            obj=token.team,
            actor=actor,
            data={"name": token.name},
        )
