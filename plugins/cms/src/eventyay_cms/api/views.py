from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import EventViewMixin
from eventyay.base.models import TeamAPIToken
from eventyay_cms.api.serializers import ConnectionSerializer, PulledPageSerializer
from eventyay_cms.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_cms.models import Connection, PulledPage
from eventyay_cms.models.connections import with_counts
from eventyay_cms.services.connections import connection_save
from eventyay_cms.services.sync import sync_start


class SyncStartedSerializer(serializers.Serializer):
    job = serializers.UUIDField()


class ConnectionViewSet(EventViewMixin, viewsets.ModelViewSet):
    """CMS connections of the event; credentials are write-only."""

    permission = READ_PERMISSION
    write_permission = WRITE_PERMISSION
    serializer_class = ConnectionSerializer

    def get_queryset(self) -> QuerySet[Connection]:
        if getattr(self, "swagger_fake_view", False):
            return Connection.objects.none()
        return with_counts(
            Connection.objects.filter(event=self.event).select_related("event__organizer")
        ).order_by("pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = connection_save(event=self.event, data=dict(serializer.validated_data))

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("type", None)  # a connection keeps its type
        serializer.instance = connection_save(event=self.event, data=data, connection=serializer.instance)

    @extend_schema(
        request=None, responses={202: SyncStartedSerializer, 404: OpenApiResponse(description="Not found")}
    )
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start a sync of the connection as a job (202 with the job's id)."""
        connection = self.get_object()
        token = request.auth if isinstance(request.auth, TeamAPIToken) else None
        user = request.user if token is None and getattr(request.user, "pk", None) else None
        job = sync_start(connection, user=user, token=token)
        return Response({"job": str(job.pk)}, status=status.HTTP_202_ACCEPTED)


class PulledPageViewSet(
    EventViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Pages pulled from the event's CMS connections (sanitised HTML)."""

    permission = READ_PERMISSION
    serializer_class = PulledPageSerializer
    filterset_fields = ["connection", "published"]

    def get_queryset(self) -> QuerySet[PulledPage]:
        if getattr(self, "swagger_fake_view", False):
            return PulledPage.objects.none()
        return PulledPage.objects.filter(event=self.event).order_by("pk")
