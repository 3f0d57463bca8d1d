"""Payment providers of an event, and refunds of one payment."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.views import actor_of
from eventyay_tickets.api import serializers as s
from eventyay_tickets.api.views import ORDERS_WRITE, READ, TicketsAPIMixin
from eventyay_tickets.models import OrderPayment, OrderRefund
from eventyay_tickets.payment import BasePaymentProvider
from eventyay_tickets.payment.refunds import refund_create
from eventyay_tickets.selectors import payment_providers


class PaymentProviderSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    name = serializers.CharField(source="verbose_name")
    public_name = serializers.CharField()
    enabled = serializers.BooleanField(source="is_enabled")
    refunds_automatically = serializers.BooleanField()
    settings = serializers.SerializerMethodField()

    def get_settings(self, provider: BasePaymentProvider) -> dict[str, Any]:
        return provider.public_settings()


class RefundCreateSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=13, decimal_places=2, required=False, min_value=0)


class PaymentProviderViewSet(TicketsAPIMixin, viewsets.GenericViewSet):
    """Every payment provider available to the event, with its settings but never its secrets."""

    serializer_class = PaymentProviderSerializer
    permission = READ
    pagination_class = None
    # Providers are not model rows; this only tells the schema the type of the URL's ids.
    queryset = OrderPayment.objects.none()

    @extend_schema(responses=PaymentProviderSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        providers = list(payment_providers(self.event).values())
        return Response(self.get_serializer(providers, many=True).data)


class PaymentRefundView(TicketsAPIMixin, generics.GenericAPIView):
    """Refund all or part of a confirmed payment through its provider."""

    serializer_class = RefundCreateSerializer
    permission = ORDERS_WRITE

    def get_queryset(self) -> Any:
        return OrderPayment.objects.filter(order__event=self.event)

    @extend_schema(request=RefundCreateSerializer, responses={201: s.RefundSerializer})
    def post(self, request: Request, code: str, payment: int, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = self.get_queryset().filter(order__code=code.upper(), local_id=payment).first()
        if target is None:
            raise Http404()
        target.order.event = self.event
        refund = refund_create(
            payment=target, amount=body.validated_data.get("amount"), actor=actor_of(request)
        )
        fresh = OrderRefund.objects.get(pk=refund.pk)
        return Response(s.RefundSerializer(fresh).data, status=status.HTTP_201_CREATED)
