"""API views: thin, they call the selectors and services."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import EventViewMixin
from eventyay.api.views import actor_of
from eventyay_tickets.api import serializers as s
from eventyay_tickets.models import (
    Category,
    Order,
    OrderPosition,
    Product,
    ProductVariation,
    Question,
    QuestionAnswer,
    Quota,
    TaxRule,
    Voucher,
)
from eventyay_tickets.services import (
    CapacityBusy,
    OrderError,
    catalogue_delete,
    catalogue_save,
    order_approve,
    order_cancel,
    order_deny,
    order_expire_if_due,
    order_extend,
    order_mark_paid,
    order_place,
    order_resend_link,
    quota_availability,
    vouchers_create,
)

READ = "event.orders:read"
ITEMS_WRITE = "event.items:write"
ORDERS_WRITE = "event.orders:write"


class TicketsAPIMixin(EventViewMixin):
    """Shop rule violations answer 400 with the service's error structure; lock timeouts 409."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CapacityBusy):
            response = Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
            response["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(exc, OrderError):
            return Response(exc.detail, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)  # type: ignore[misc]


class CatalogueViewSet(TicketsAPIMixin, viewsets.ModelViewSet):
    """Catalogue objects: readable by any team member who sees the event, written with event.items:write."""

    permission = READ
    write_permission = ITEMS_WRITE
    model: type = Category

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = catalogue_save(
            event=self.event, model=self.model, data=self.save_data(serializer), actor=actor_of(self.request)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = catalogue_save(
            event=self.event,
            model=self.model,
            data=self.save_data(serializer),
            instance=serializer.instance,
            actor=actor_of(self.request),
        )

    def save_data(self, serializer: Any) -> dict[str, Any]:
        return dict(serializer.validated_data)

    def perform_destroy(self, instance: Any) -> None:
        catalogue_delete(event=self.event, instance=instance, actor=actor_of(self.request))


class CategoryViewSet(CatalogueViewSet):
    serializer_class = s.CategorySerializer
    model = Category

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.filter(event=self.event)


class TaxRuleViewSet(CatalogueViewSet):
    serializer_class = s.TaxRuleSerializer
    model = TaxRule

    def get_queryset(self) -> QuerySet[TaxRule]:
        return TaxRule.objects.filter(event=self.event)


class ProductViewSet(CatalogueViewSet):
    serializer_class = s.ProductSerializer
    model = Product
    filterset_fields = ["active", "category", "admission"]

    def get_queryset(self) -> QuerySet[Product]:
        # With its own queryset, a prefetch hands each product a clone of that one; without,
        # Django asks the scoped manager for a fresh queryset per product, scope filter and all.
        variations = Prefetch("variations", queryset=ProductVariation.objects.all())
        return (
            Product.objects.filter(event=self.event).select_related("tax_rule").prefetch_related(variations)
        )


class VariationViewSet(CatalogueViewSet):
    serializer_class = s.VariationSerializer
    model = ProductVariation

    def product(self) -> Product:
        product = Product.objects.filter(event=self.event, pk=self.kwargs["product"]).first()
        if product is None:
            raise Http404()
        return product

    def get_queryset(self) -> QuerySet[ProductVariation]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no product to look up
            return ProductVariation.objects.none()
        return ProductVariation.objects.filter(product=self.product())

    def save_data(self, serializer: Any) -> dict[str, Any]:
        data = dict(serializer.validated_data)
        if serializer.instance is None:
            data["product"] = self.product()
        return data


class QuotaViewSet(CatalogueViewSet):
    serializer_class = s.QuotaSerializer
    model = Quota

    def get_queryset(self) -> QuerySet[Quota]:
        return Quota.objects.filter(event=self.event).prefetch_related("products", "variations")

    @extend_schema(responses=s.QuotaAvailabilitySerializer)
    @action(detail=True, methods=["get"])
    def availability(self, request: Request, **kwargs: Any) -> Response:
        quota = self.get_object()
        data = quota_availability(event=self.event, quotas=[quota.pk])[quota.pk]
        return Response(data)


class QuestionViewSet(CatalogueViewSet):
    serializer_class = s.QuestionSerializer
    model = Question

    def get_queryset(self) -> QuerySet[Question]:
        return Question.objects.filter(event=self.event).prefetch_related("products", "options")


class VoucherViewSet(CatalogueViewSet):
    serializer_class = s.VoucherSerializer
    model = Voucher
    filterset_fields = ["code", "tag", "product", "quota"]

    def get_queryset(self) -> QuerySet[Voucher]:
        return Voucher.objects.filter(event=self.event)

    @action(detail=False, methods=["post"])
    def batch_create(self, request: Request, **kwargs: Any) -> Response:
        if not isinstance(request.data, list) or not request.data:
            raise ValidationError({"non_field_errors": ["Send a non-empty list of vouchers."]})
        if len(request.data) > 1000:
            raise ValidationError({"non_field_errors": ["At most 1000 vouchers per request."]})
        serializer = self.get_serializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        created = vouchers_create(event=self.event, rows=serializer.validated_data, actor=actor_of(request))
        return Response(self.get_serializer(created, many=True).data, status=status.HTTP_201_CREATED)


def _positions_prefetch() -> Prefetch:
    return Prefetch(
        "positions",
        queryset=OrderPosition.objects.order_by("positionid").prefetch_related(
            Prefetch("answers", queryset=QuestionAnswer.objects.prefetch_related("options"))
        ),
    )


class OrderViewSet(
    TicketsAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Orders: list with filters, create with the shop's rules, and one action per transition."""

    serializer_class = s.OrderSerializer
    permission = READ
    write_permission = ORDERS_WRITE
    lookup_field = "code"
    lookup_value_converter = "str"
    ordering_fields = ["datetime", "code", "total", "modified"]
    ordering = ["-datetime"]

    def get_queryset(self) -> QuerySet[Order]:
        queryset = Order.objects.filter(event=self.event).prefetch_related(
            _positions_prefetch(), "payments", "refunds"
        )
        params = self.request.query_params
        if params.get("status"):
            queryset = queryset.filter(status__in=params["status"].split(","))
        if params.get("email"):
            queryset = queryset.filter(email__iexact=params["email"])
        if params.get("code"):
            queryset = queryset.filter(code=params["code"].upper())
        if params.get("product"):
            if not params["product"].isdigit():
                raise ValidationError({"product": ["Give a product id."]})
            queryset = queryset.filter(
                pk__in=OrderPosition.objects.filter(product_id=params["product"]).values("order_id")
            )
        if params.get("modified_since"):
            since = parse_datetime(params["modified_since"].replace(" ", "+"))
            if since is None:
                raise ValidationError({"modified_since": ["Give an ISO 8601 date and time."]})
            queryset = queryset.filter(modified__gte=since)
        return queryset

    def get_object(self) -> Order:
        order = super().get_object()
        order.event = self.event
        return order_expire_if_due(order=order)

    def _respond(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = s.OrderCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        order = order_place(
            event=self.event,
            email=data["email"],
            positions=[dict(position) for position in data["positions"]],
            locale=data.get("locale", ""),
            payment_provider=data["payment_provider"],
            explicit_prices=True,
            send_email=data["send_email"],
            simulate=data["simulate"],
            actor=actor_of(request),
        )
        # The placed order carries its positions, answers and payment: no second read needed.
        code = status.HTTP_200_OK if data["simulate"] else status.HTTP_201_CREATED
        return Response(self.get_serializer(order).data, status=code)

    @action(detail=True, methods=["post"])
    def mark_paid(self, request: Request, **kwargs: Any) -> Response:
        body = s.MarkPaidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.get_object()
        if order.status == Order.Status.PAID:
            raise ValidationError({"status": ["The order is already paid."]})
        order_mark_paid(
            order=order,
            provider=body.validated_data["provider"],
            amount=body.validated_data.get("amount"),
            send_email=body.validated_data["send_email"],
            actor=actor_of(request),
        )
        return self._respond(order)

    @action(detail=True, methods=["post"])
    def mark_canceled(self, request: Request, **kwargs: Any) -> Response:
        body = s.CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.get_object()
        order_cancel(
            order=order,
            fee=body.validated_data.get("cancellation_fee"),
            refund=body.validated_data["refund"],
            send_email=body.validated_data["send_email"],
            actor=actor_of(request),
        )
        return self._respond(order)

    @action(detail=True, methods=["post"])
    def extend(self, request: Request, **kwargs: Any) -> Response:
        body = s.ExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.get_object()
        order_extend(order=order, expires=body.validated_data["expires"], actor=actor_of(request))
        return self._respond(order)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, **kwargs: Any) -> Response:
        body = s.SendEmailSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.get_object()
        order_approve(order=order, send_email=body.validated_data["send_email"], actor=actor_of(request))
        return self._respond(order)

    @action(detail=True, methods=["post"])
    def deny(self, request: Request, **kwargs: Any) -> Response:
        body = s.SendEmailSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.get_object()
        order_deny(order=order, send_email=body.validated_data["send_email"], actor=actor_of(request))
        return self._respond(order)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def resend_link(self, request: Request, **kwargs: Any) -> Response:
        order = self.get_object()
        if not order.email:
            raise ValidationError({"email": ["This order has no email address."]})
        order_resend_link(order=order, actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrderPositionViewSet(
    TicketsAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.OrderPositionSerializer
    permission = READ
    filterset_fields = ["product", "variation"]
    ordering_fields = ["id", "positionid"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[OrderPosition]:
        queryset = (
            OrderPosition.objects.filter(order__event=self.event)
            .select_related("order")
            .prefetch_related(
                Prefetch("answers", queryset=QuestionAnswer.objects.prefetch_related("options"))
            )
        )
        params = self.request.query_params
        if params.get("order"):
            queryset = queryset.filter(order__code=params["order"].upper())
        if params.get("status"):
            queryset = queryset.filter(order__status__in=params["status"].split(","))
        return queryset
