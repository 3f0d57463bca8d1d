"""Teams with their members, invitations and API tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import OrganizerViewMixin
from eventyay.api.serializers import (
    InviteSerializer,
    MemberSerializer,
    TeamSerializer,
    TokenCreatedSerializer,
    TokenSerializer,
)
from eventyay.api.views import actor_of
from eventyay.base.models import Event, Organizer, Team, TeamAPIToken, TeamInvite, User
from eventyay.base.services.teams import (
    invite_withdraw,
    team_delete,
    team_invite,
    team_member_remove,
    team_save,
    token_create,
    token_revoke,
)


def events_by_slug(organizer: Organizer, slugs: list[str], field: str = "limit_events") -> list[Event]:
    """The organizer's events named by ``slugs``; 400 naming ``field`` when one does not exist."""
    events = list(Event.objects.filter(organizer=organizer, slug__in=slugs))
    missing = sorted(set(slugs) - {event.slug for event in events})
    if missing:
        raise serializers.ValidationError({field: [f"Unknown event: {', '.join(missing)}"]})
    return events


class TeamViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    serializer_class = TeamSerializer
    permission = "organizer.teams:write"
    lookup_url_kwarg = "team"
    lookup_value_converter = "int"
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    filterset_fields = ["all_events"]

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.filter(organizer=self.organizer).prefetch_related("limit_events")

    def _save(self, serializer: serializers.BaseSerializer, team: Team | None) -> None:
        data = serializer.validated_data
        organizer = self.organizer
        serializer.instance = team_save(
            organizer=organizer,
            team=team,
            name=data.get("name", team.name if team else ""),
            permissions=data.get("permissions", team.permissions if team else []),
            all_events=data.get("all_events", team.all_events if team else False),
            limit_events=events_by_slug(organizer, data["limit_events"])
            if "limit_events" in data
            else (list(team.limit_events.all()) if team else []),
            actor=actor_of(self.request),
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: Team) -> None:
        team_delete(team=instance, actor=actor_of(self.request))


class TeamChildMixin(OrganizerViewMixin):
    """For resources below ``teams/<team>/``: the team of the URL, or 404."""

    permission = "organizer.teams:write"
    kwargs: dict[str, Any]

    @property
    def team(self) -> Team:
        if not hasattr(self, "_team"):
            raw = str(self.kwargs.get("team", ""))
            team = (
                Team.objects.filter(organizer=self.organizer, pk=int(raw)).first() if raw.isdigit() else None
            )
            if team is None:
                raise exceptions.NotFound()
            self._team = team
        return self._team


class MemberViewSet(
    TeamChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The team's members; add people through ``invites/``."""

    serializer_class = MemberSerializer
    lookup_value_converter = "int"
    ordering_fields = ["email", "id"]
    ordering = ["email"]

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return self.team.members.all()

    def perform_destroy(self, instance: User) -> None:
        team_member_remove(team=self.team, user=instance, actor=actor_of(self.request))


class InviteViewSet(
    TeamChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Pending invitations. Inviting the address of an existing user adds them at once."""

    serializer_class = InviteSerializer
    lookup_value_converter = "int"
    ordering_fields = ["email", "created"]
    ordering = ["email"]

    def get_queryset(self) -> QuerySet[TeamInvite]:
        if getattr(self, "swagger_fake_view", False):
            return TeamInvite.objects.none()
        return TeamInvite.objects.filter(team=self.team)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        invite = team_invite(team=self.team, email=email, actor=actor_of(request))
        if invite is None:
            return Response(
                {"id": None, "email": email.lower(), "created": None, "member_added": True}, status=201
            )
        return Response(self.get_serializer(invite).data, status=201)

    def perform_destroy(self, instance: TeamInvite) -> None:
        invite_withdraw(invite=instance, actor=actor_of(self.request))


class TokenViewSet(
    TeamChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The team's API tokens. The secret is in the answer to the POST only; DELETE revokes."""

    serializer_class = TokenSerializer
    lookup_value_converter = "int"
    filterset_fields = ["active"]
    ordering_fields = ["created", "name"]
    ordering = ["-created"]

    def get_queryset(self) -> QuerySet[TeamAPIToken]:
        if getattr(self, "swagger_fake_view", False):
            return TeamAPIToken.objects.none()
        return TeamAPIToken.objects.filter(team=self.team)

    @extend_schema(responses={201: TokenCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = token_create(
            team=self.team, name=serializer.validated_data["name"], actor=actor_of(request)
        )
        # Only the hash is stored: the secret exists in this answer alone (TokenCreatedSerializer).
        return Response({**self.get_serializer(token).data, "token": secret}, status=201)

    def perform_destroy(self, instance: TeamAPIToken) -> None:
        token_revoke(token=instance, actor=actor_of(self.request))
