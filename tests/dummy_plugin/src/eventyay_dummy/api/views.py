from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventyay.api.mixins import EventViewMixin
from eventyay_dummy.models import DummyCall


class DummyStatusSerializer(serializers.Serializer):
    event = serializers.CharField()
    calls = serializers.IntegerField()


@extend_schema(responses={200: DummyStatusSerializer})
class DummyStatusView(EventViewMixin, APIView):
    permission = "event.dummy:read"

    def get(self, request: Request, organizer: str, event: str) -> Response:
        return Response(
            {"event": self.event.slug, "calls": DummyCall.objects.filter(event=self.event).count()}
        )
