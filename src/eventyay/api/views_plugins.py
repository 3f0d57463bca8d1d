"""The plugins of level organizer switched on for an organizer (event plugins are a field of the event)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import OrganizerViewMixin
from eventyay.api.views import actor_of, is_instance_admin
from eventyay.base.services.organizer_plugins import organizer_plugin_names, organizer_plugins_update


class OrganizerPluginsSerializer(serializers.Serializer):
    plugins = serializers.ListField(
        child=serializers.CharField(max_length=100),
        help_text="Names of the plugins of level organizer switched on for the organizer (and so on "
        "every event of it). Write the full list to switch them on and off.",
    )


class OrganizerPluginsView(OrganizerViewMixin, generics.GenericAPIView):
    """The organizer's organizer-level plugins: any member reads them, settings managers write."""

    write_permission = "organizer.settings:write"
    serializer_class = OrganizerPluginsSerializer

    def _current(self) -> Response:
        return Response({"plugins": sorted(organizer_plugin_names(self.organizer))})

    @extend_schema(operation_id="organizers_plugins_retrieve", responses=OrganizerPluginsSerializer)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._current()

    @extend_schema(
        operation_id="organizers_plugins_update",
        request=OrganizerPluginsSerializer,
        responses=OrganizerPluginsSerializer,
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._update(request)

    @extend_schema(
        operation_id="organizers_plugins_partial_update",
        request=OrganizerPluginsSerializer,
        responses=OrganizerPluginsSerializer,
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._update(request)

    def _update(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = set(serializer.validated_data["plugins"])
        current = organizer_plugin_names(self.organizer)
        try:
            organizer_plugins_update(
                organizer=self.organizer,
                enable=wanted,
                disable=current - wanted,
                actor=actor_of(request),
                is_admin=is_instance_admin(request),
            )
        except ValidationError as error:
            raise serializers.ValidationError({"plugins": error.messages}) from error
        return self._current()
