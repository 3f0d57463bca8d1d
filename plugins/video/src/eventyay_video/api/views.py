"""``.../video/tokens/`` (issue access tokens), ``.../video/tokens/revoke/`` and
``.../video/tokens/revoke-all/`` (revoke them) and ``.../video/rooms/`` (rooms CRUD)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventyay.api.mixins import EventViewMixin
from eventyay_video import services
from eventyay_video.api.serializers import (
    RoomSerializer,
    TokenRequestSerializer,
    TokenRevocationSerializer,
    TokenRevokeSerializer,
)
from eventyay_video.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_video.models import Room
from eventyay_video.tokens import join_url, token_issue


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    url = serializers.CharField()


@extend_schema(request=TokenRequestSerializer, responses={201: TokenSerializer})
class TokenView(EventViewMixin, APIView):
    permission = WRITE_PERMISSION
    write_permission = WRITE_PERMISSION

    def post(self, request: Request, **kwargs: Any) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token = token_issue(
            event=self.event,
            uid=data["uid"],
            traits=data["traits"],
            display_name=data["display_name"],
            expires_in=data["expires_in"],
        )
        return Response(
            {"token": token, "url": join_url(event=self.event, token=token)}, status=status.HTTP_201_CREATED
        )


@extend_schema(request=TokenRevokeSerializer, responses={200: TokenRevocationSerializer})
class TokenRevokeView(EventViewMixin, APIView):
    """Void every token of one user issued so far and close the user's open connections."""

    permission = WRITE_PERMISSION
    write_permission = WRITE_PERMISSION

    def post(self, request: Request, **kwargs: Any) -> Response:
        serializer = TokenRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revocation = services.token_revoke(
            event=self.event, uid=serializer.validated_data["uid"], actor=request.auth or request.user
        )
        return Response(TokenRevocationSerializer(revocation).data)


@extend_schema(request=None, responses={200: TokenRevocationSerializer})
class TokenRevokeAllView(EventViewMixin, APIView):
    """Void every token of the event issued so far and close all its open connections."""

    permission = WRITE_PERMISSION
    write_permission = WRITE_PERMISSION

    def post(self, request: Request, **kwargs: Any) -> Response:
        revocation = services.token_revoke_all(event=self.event, actor=request.auth or request.user)
        return Response(TokenRevocationSerializer(revocation).data)


class RoomViewSet(EventViewMixin, viewsets.ModelViewSet):
    permission = READ_PERMISSION
    write_permission = WRITE_PERMISSION
    serializer_class = RoomSerializer

    def get_queryset(self) -> Any:
        return Room.objects.filter(event=self.event).select_related("channel").prefetch_related("modules")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.room_save(
            event=self.event,
            data=dict(serializer.validated_data),
            actor=self.request.auth or self.request.user,
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.room_save(
            event=self.event,
            room=serializer.instance,
            data=dict(serializer.validated_data),
            actor=self.request.auth or self.request.user,
        )

    def perform_destroy(self, instance: Room) -> None:
        services.room_delete(room=instance, actor=self.request.auth or self.request.user)
