"""Teams of an organizer: permissions, events, members, invitations and API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import Team, TeamAPIToken, TeamInvite, User
from eventyay.base.services.teams import (
    invite_withdraw,
    team_delete,
    team_invite,
    team_member_remove,
    team_save,
    token_create,
)
from eventyay.base.services.teams import token_revoke as revoke
from eventyay.control.forms import add_service_errors
from eventyay.control.forms.organizers import InviteForm, TeamForm, TokenForm
from eventyay.control.permissions import organizer_view
from eventyay.control.selectors import teams_of

TEAMS = "organizer.teams:write"
#: Session key holding a new token's secret until the team page shows it (once).
NEW_TOKEN = "eventyay_new_token"


def _team(request: HttpRequest, pk: int) -> Team:
    return get_object_or_404(Team, organizer=request.organizer, pk=pk)  # type: ignore[attr-defined]


@organizer_view(TEAMS)
def team_list(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    return render(request, "eventyay_control/teams/list.html", {"organizer": org, "teams": teams_of(org)})


def _team_initial(team: Team) -> dict[str, object]:
    return {
        "name": team.name,
        "organizer_permissions": [p for p in team.permissions if p.startswith("organizer.")],
        "event_permissions": [p for p in team.permissions if p.startswith("event.")],
        "all_events": team.all_events,
        "limit_events": list(team.limit_events.all()),
    }


def _save_team(request: HttpRequest, form: TeamForm, team: Team | None) -> Team | None:
    try:
        return team_save(
            organizer=request.organizer,  # type: ignore[attr-defined]
            name=form.cleaned_data["name"],
            permissions=form.permissions,
            all_events=form.cleaned_data["all_events"],
            limit_events=form.cleaned_data["limit_events"],
            team=team,
            actor=request.user,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@organizer_view(TEAMS)
def team_create(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    form = TeamForm(data=request.POST if request.method == "POST" else None, organizer=org)
    if request.method == "POST" and form.is_valid():
        team = _save_team(request, form, None)
        if team is not None:
            messages.success(request, _("The team has been created."))
            return redirect("control:organizer.team", organizer=org.slug, pk=team.pk)
    return render(request, "eventyay_control/teams/form.html", {"organizer": org, "form": form})


@organizer_view(TEAMS)
def team_detail(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    team = _team(request, pk)
    form = TeamForm(
        data=request.POST if request.method == "POST" else None, organizer=org, initial=_team_initial(team)
    )
    if request.method == "POST" and form.is_valid():
        if _save_team(request, form, team) is not None:
            messages.success(request, _("Your changes have been saved."))
            return redirect("control:organizer.team", organizer=org.slug, pk=team.pk)
        team.refresh_from_db()
    return render(
        request,
        "eventyay_control/teams/detail.html",
        {
            "organizer": org,
            "team": team,
            "form": form,
            "members": team.members.order_by("email"),
            "invites": team.invites.order_by("email"),
            "tokens": team.tokens.filter(active=True).order_by("-created"),
            "invite_form": InviteForm(prefix="invite"),
            "token_form": TokenForm(prefix="token"),
            "new_token": request.session.pop(NEW_TOKEN, None),
        },
    )


@organizer_view(TEAMS)
def team_delete_view(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    team = _team(request, pk)
    if request.method == "POST":
        try:
            team_delete(team=team, actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("control:organizer.team", organizer=org.slug, pk=pk)
        messages.success(request, _("The team has been deleted."))
        return redirect("control:organizer.teams", organizer=org.slug)
    return render(request, "eventyay_control/teams/delete.html", {"organizer": org, "team": team})


@require_POST
@organizer_view(TEAMS)
def team_member_invite(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    team = _team(request, pk)
    form = InviteForm(data=request.POST, prefix="invite")
    if form.is_valid():
        invite = team_invite(team=team, email=form.cleaned_data["email"], actor=request.user)
        if invite is None:
            messages.success(request, _("The user has been added to the team."))
        else:
            messages.success(request, _("An invitation has been sent to %s.") % invite.email)
    else:
        messages.error(request, _("Please enter a valid email address."))
    return redirect("control:organizer.team", organizer=org.slug, pk=team.pk)


@require_POST
@organizer_view(TEAMS)
def team_member_remove_view(request: HttpRequest, organizer: str, pk: int, user_id: int) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    team = _team(request, pk)
    member = get_object_or_404(User, pk=user_id, teams=team)
    try:
        team_member_remove(team=team, user=member, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%s has been removed from the team.") % member.email)
    return redirect("control:organizer.team", organizer=org.slug, pk=team.pk)


@require_POST
@organizer_view(TEAMS)
def team_invite_withdraw(request: HttpRequest, organizer: str, pk: int, invite_id: int) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    team = _team(request, pk)
    invite = get_object_or_404(TeamInvite, team=team, pk=invite_id)
    invite_withdraw(invite=invite, actor=request.user)
    messages.success(request, _("The invitation to %s has been withdrawn.") % invite.email)
    return redirect("control:organizer.team", organizer=org.slug, pk=team.pk)


@require_POST
@organizer_view(TEAMS)
def team_token_create(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    team = _team(request, pk)
    form = TokenForm(data=request.POST, prefix="token")
    if form.is_valid():
        token, secret = token_create(team=team, name=form.cleaned_data["name"], actor=request.user)
        request.session[NEW_TOKEN] = {"name": token.name, "secret": secret}
        messages.success(request, _("The token has been created. Copy it now: it is shown only once."))
    else:
        messages.error(request, _("Please give the token a name."))
    return redirect("control:organizer.team", organizer=org.slug, pk=team.pk)


@require_POST
@organizer_view(TEAMS)
def team_token_revoke(request: HttpRequest, organizer: str, pk: int, token_id: int) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    team = _team(request, pk)
    token = get_object_or_404(TeamAPIToken, team=team, pk=token_id, active=True)
    revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%s” has been revoked.") % token.name)
    return redirect("control:organizer.team", organizer=org.slug, pk=team.pk)
