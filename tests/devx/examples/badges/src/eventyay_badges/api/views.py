from rest_framework import mixins, viewsets

from eventyay.plugin_api import EventViewMixin, actor_of
from eventyay_badges.api.serializers import ItemSerializer
from eventyay_badges.models import Item
from eventyay_badges.services import item_create


class ItemViewSet(
    EventViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ItemSerializer
    permission = "event.badges:read"
    write_permission = "event.badges:write"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is generated without an event
            return Item.objects.none()
        return Item.objects.filter(event=self.event).order_by("pk")

    def perform_create(self, serializer):
        serializer.instance = item_create(
            event=self.event, name=serializer.validated_data["name"], actor=actor_of(self.request)
        )
