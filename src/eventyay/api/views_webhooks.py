"""Organizer webhooks and their deliveries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import OrganizerViewMixin
from eventyay.api.serializers import WebHookDeliverySerializer, WebHookSerializer
from eventyay.api.views import actor_of
from eventyay.api.views_teams import events_by_slug
from eventyay.base.models import WebHook, WebHookDelivery
from eventyay.base.services.webhooks import webhook_delete, webhook_delivery_retry, webhook_save


class WebHookViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    serializer_class = WebHookSerializer
    permission = "organizer.settings:write"
    lookup_url_kwarg = "webhook"
    lookup_value_converter = "int"
    filterset_fields = ["enabled", "all_events"]
    ordering_fields = ["id", "created", "target_url"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[WebHook]:
        return WebHook.objects.filter(organizer=self.organizer).prefetch_related("limit_events")

    def _save(self, serializer: serializers.BaseSerializer, hook: WebHook | None) -> None:
        data = serializer.validated_data
        organizer = self.organizer

        def value(name: str, default: Any) -> Any:
            return data[name] if name in data else (getattr(hook, name) if hook else default)

        serializer.instance = webhook_save(
            organizer=organizer,
            webhook=hook,
            target_url=value("target_url", ""),
            action_types=value("action_types", []),
            enabled=value("enabled", True),
            all_events=value("all_events", True),
            limit_events=events_by_slug(organizer, data["limit_events"])
            if "limit_events" in data
            else (list(hook.limit_events.all()) if hook else []),
            actor=actor_of(self.request),
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: WebHook) -> None:
        webhook_delete(webhook=instance, actor=actor_of(self.request))


class WebHookDeliveryViewSet(
    OrganizerViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """What was sent to a webhook, with the receiver's answers; ``retry/`` sends one again."""

    serializer_class = WebHookDeliverySerializer
    permission = "organizer.settings:write"
    lookup_value_converter = "int"
    filterset_fields = ["status", "action_type"]
    ordering_fields = ["created", "id"]
    ordering = ["-created", "-id"]

    def get_queryset(self) -> QuerySet[WebHookDelivery]:
        if getattr(self, "swagger_fake_view", False):
            return WebHookDelivery.objects.none()
        raw = str(self.kwargs.get("webhook", ""))
        hook = (
            WebHook.objects.filter(organizer=self.organizer, pk=int(raw)).first() if raw.isdigit() else None
        )
        if hook is None:
            raise exceptions.NotFound()
        return WebHookDelivery.objects.filter(webhook=hook).select_related("webhook__organizer")

    @extend_schema(request=None, responses={200: WebHookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, **kwargs: Any) -> Response:
        """Send this delivery again now, with the same delivery id."""
        delivery = webhook_delivery_retry(delivery=self.get_object(), actor=actor_of(request))
        return Response(self.get_serializer(delivery).data)
