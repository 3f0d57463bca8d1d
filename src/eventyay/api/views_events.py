"""Organizers and their events."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import OrganizerViewMixin
from eventyay.api.permissions import AuthenticatedPermission, OrganizerPermission, api_grant
from eventyay.api.serializers import EventCloneSerializer, EventSerializer, OrganizerSerializer
from eventyay.api.views import actor_of, is_instance_admin, organizers_for
from eventyay.base.models import Event, EventPlugin, Organizer
from eventyay.base.services.events import event_clone, event_create, event_delete, event_update
from eventyay.base.services.organizers import organizer_update
from eventyay.base.services.plugins import PluginStateError, event_plugins_update


class OrganizerViewSet(
    OrganizerViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The organizers the caller is a member of."""

    serializer_class = OrganizerSerializer
    lookup_field = "slug"
    lookup_url_kwarg = "organizer"
    lookup_value_converter = "slug"
    write_permission = "organizer.settings:write"
    ordering_fields = ["slug", "name"]
    ordering = ["slug"]

    def get_permissions(self) -> list[Any]:
        if self.action == "list":
            return [AuthenticatedPermission()]
        return [OrganizerPermission()]

    def get_queryset(self) -> QuerySet[Organizer]:
        if getattr(self, "swagger_fake_view", False):
            return Organizer.objects.none()
        return organizers_for(self.request)

    def get_object(self) -> Organizer:
        return self.organizer

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = organizer_update(
            organizer=self.organizer,
            data=serializer.validated_data,
            settings_values={},
            actor=actor_of(self.request),
        )


class EventFilter(django_filters.FilterSet):
    date_from_after = django_filters.IsoDateTimeFilter(field_name="date_from", lookup_expr="gte")
    date_from_before = django_filters.IsoDateTimeFilter(field_name="date_from", lookup_expr="lt")

    live = django_filters.BooleanFilter()
    is_public = django_filters.BooleanFilter()
    currency = django_filters.CharFilter()

    class Meta:
        model = Event
        fields: list[str] = []


def _plugin_errors(exc: PluginStateError) -> serializers.ValidationError:
    return serializers.ValidationError({"plugins": exc.messages})


class EventViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    """An organizer's events, including which plugins are on (``plugins``, writable)."""

    serializer_class = EventSerializer
    lookup_field = "slug"
    lookup_url_kwarg = "event"
    lookup_value_converter = "slug"
    filterset_class = EventFilter
    ordering_fields = ["date_from", "slug", "created"]
    ordering = ["date_from", "slug"]
    action_permissions = {
        "create": "organizer.events:create",
        "clone": "organizer.events:create",
        "update": "event.settings:write",
        "partial_update": "event.settings:write",
        "destroy": "event.settings:write",
    }

    def get_queryset(self) -> QuerySet[Event]:
        organizer = self.organizer
        queryset = (
            Event.objects.filter(organizer=organizer)
            .select_related("organizer")
            .prefetch_related(
                Prefetch(
                    "plugin_states",
                    queryset=EventPlugin.objects.filter(enabled=True),
                    to_attr="enabled_plugin_states",
                )
            )
        )
        if organizer is None:
            return queryset.none()
        grant = api_grant(self.request, organizer)
        if not (grant.is_admin or grant.covers_all_events):
            queryset = queryset.filter(pk__in=list(grant.event_permissions))
        return queryset

    def get_object(self) -> Event:
        event = self.request.event
        event.refresh_plugins()
        return event

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        plugins = data.pop("plugins", [])
        try:
            serializer.instance = event_create(
                organizer=self.organizer,
                data=data,
                plugins=plugins,
                actor=actor_of(self.request),
                is_admin=is_instance_admin(self.request),
            )
        except PluginStateError as exc:
            raise _plugin_errors(exc)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        event = cast(Event, serializer.instance)
        data = dict(serializer.validated_data)
        plugins = data.pop("plugins", None)
        actor = actor_of(self.request)
        with transaction.atomic():
            event = event_update(event=event, data=data, actor=actor)
            if plugins is not None:
                wanted, current = set(plugins), set(event.enabled_plugin_names)
                try:
                    event_plugins_update(
                        event=event,
                        enable=sorted(wanted - current),
                        disable=sorted(current - wanted),
                        actor=actor,
                        is_admin=is_instance_admin(self.request),
                    )
                except PluginStateError as exc:
                    raise _plugin_errors(exc)
        event.refresh_plugins()
        serializer.instance = event

    def perform_destroy(self, instance: Event) -> None:
        event_delete(event=instance, actor=actor_of(self.request))

    @extend_schema(request=EventCloneSerializer, responses={201: EventSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request: Request, **kwargs: Any) -> Response:
        """Create a new event from this one's configuration, plugins and plugin settings."""
        serializer = EventCloneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            event = event_clone(
                source=self.get_object(), data=serializer.validated_data, actor=actor_of(request)
            )
        except PluginStateError as exc:
            raise _plugin_errors(exc)
        return Response(
            EventSerializer(event, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )
