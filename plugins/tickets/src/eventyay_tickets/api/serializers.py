"""API serializers: they check the shape of requests; the services decide the rules."""

from __future__ import annotations

import copy
import threading
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from rest_framework import serializers

from eventyay.api.serializers import I18nField
from eventyay_tickets.models import (
    Category,
    Order,
    OrderPayment,
    OrderPosition,
    OrderRefund,
    Product,
    ProductVariation,
    Question,
    QuestionAnswer,
    QuestionOption,
    Quota,
    TaxRule,
    Voucher,
)
from eventyay_tickets.payment.base import PUBLIC_INFO


class EventScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object by id, limited to the request's event (ids of other events are "not found")."""

    def __init__(self, model: type[models.Model], event_path: str = "event", **kwargs: Any) -> None:
        self.model = model
        self.event_path = event_path
        # The default manager is each model's only manager, the scoped ``objects``.
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        event = self.context.get("event")
        return self.model._default_manager.filter(**{self.event_path: event})


class TaxRuleSerializer(serializers.ModelSerializer):
    name = I18nField(max_length=190)

    class Meta:
        model = TaxRule
        fields = ["id", "name", "rate", "price_includes_tax"]


class CategorySerializer(serializers.ModelSerializer):
    name = I18nField(max_length=190)
    description = I18nField(required=False, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "name", "description", "position"]


class VariationSerializer(serializers.ModelSerializer):
    value = I18nField(max_length=190)

    class Meta:
        model = ProductVariation
        fields = ["id", "value", "price", "active", "position"]


class ProductSerializer(serializers.ModelSerializer):
    name = I18nField(max_length=190)
    description = I18nField(required=False, allow_null=True)
    category = EventScopedRelatedField(Category, allow_null=True, required=False)
    tax_rule = EventScopedRelatedField(TaxRule, allow_null=True, required=False)
    variations = VariationSerializer(many=True, read_only=True)
    tax_rate = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "category",
            "name",
            "description",
            "price",
            "tax_rule",
            "tax_rate",
            "admission",
            "active",
            "available_from",
            "available_until",
            "min_per_order",
            "max_per_order",
            "require_voucher",
            "hidden",
            "require_approval",
            "position",
            "variations",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("available_from", getattr(self.instance, "available_from", None))
        end = attrs.get("available_until", getattr(self.instance, "available_until", None))
        if start and end and end < start:
            raise serializers.ValidationError({"available_until": ["The sale cannot end before it starts."]})
        low = attrs.get("min_per_order", getattr(self.instance, "min_per_order", None))
        high = attrs.get("max_per_order", getattr(self.instance, "max_per_order", None))
        if low and high and high < low:
            raise serializers.ValidationError({"max_per_order": ["Must not be below the minimum."]})
        return attrs


class QuotaSerializer(serializers.ModelSerializer):
    products = EventScopedRelatedField(Product, many=True, required=False)
    variations = EventScopedRelatedField(
        ProductVariation, event_path="product__event", many=True, required=False
    )

    class Meta:
        model = Quota
        fields = ["id", "name", "size", "products", "variations", "close_when_sold_out", "closed"]


class QuotaAvailabilitySerializer(serializers.Serializer):
    """What ``quota_availability`` answers for one quota; null numbers mean unlimited."""

    size = serializers.IntegerField(allow_null=True)
    used = serializers.IntegerField()
    available_number = serializers.IntegerField(allow_null=True)
    available = serializers.BooleanField()
    closed = serializers.BooleanField()


class QuestionOptionSerializer(serializers.ModelSerializer):
    answer = I18nField(max_length=400)
    identifier = serializers.CharField(max_length=64, required=False)

    class Meta:
        model = QuestionOption
        fields = ["id", "identifier", "answer", "position"]


class QuestionSerializer(serializers.ModelSerializer):
    question = I18nField(max_length=400)
    # The stubs see serializer fields as plain class attributes; this one shadows Field.help_text there,
    # while at run time the serializer metaclass moves it into the declared fields.
    help_text = I18nField(required=False, allow_null=True)  # type: ignore[assignment]
    products = EventScopedRelatedField(Product, many=True, required=False)
    options = QuestionOptionSerializer(many=True, required=False)

    class Meta:
        model = Question
        fields = ["id", "question", "help_text", "type", "required", "products", "position", "options"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("type", getattr(self.instance, "type", Question.Type.TEXT))
        options = attrs.get("options")
        if kind in (Question.Type.CHOICE, Question.Type.MULTIPLE) and options is not None and not options:
            raise serializers.ValidationError({"options": ["Choice questions need options."]})
        return attrs


class VoucherSerializer(serializers.ModelSerializer):
    code = serializers.CharField(max_length=190, required=False)
    product = EventScopedRelatedField(Product, allow_null=True, required=False)
    variation = EventScopedRelatedField(
        ProductVariation, event_path="product__event", allow_null=True, required=False
    )
    quota = EventScopedRelatedField(Quota, allow_null=True, required=False)

    class Meta:
        model = Voucher
        fields = [
            "id",
            "code",
            "max_usages",
            "redeemed",
            "valid_until",
            "product",
            "variation",
            "quota",
            "price_mode",
            "value",
            "allow_ignore_quota",
            "tag",
            "comment",
        ]
        read_only_fields = ["redeemed"]

    def validate_code(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("The code must not be empty.")
        existing = Voucher.objects.filter(event=self.context["event"], code=value)
        if self.instance is not None:
            existing = existing.exclude(pk=self.instance.pk)
        if existing.exists():
            raise serializers.ValidationError("A voucher with this code already exists.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        variation = attrs.get("variation", getattr(self.instance, "variation", None))
        product = attrs.get("product", getattr(self.instance, "product", None))
        if variation is not None and (product is None or variation.product_id != product.pk):
            raise serializers.ValidationError(
                {"variation": ["The variation must belong to the voucher's product."]}
            )
        mode = attrs.get("price_mode", getattr(self.instance, "price_mode", Voucher.PriceMode.NONE))
        value = attrs.get("value", getattr(self.instance, "value", 0))
        if mode == Voucher.PriceMode.PERCENT and not 0 <= value <= 100:
            raise serializers.ValidationError({"value": ["A percentage must be between 0 and 100."]})
        if value is not None and value < 0:
            raise serializers.ValidationError({"value": ["Must not be negative."]})
        return attrs


class PrebuiltFieldsMixin:
    """Build a serializer's fields once per class, and bound ones once per thread.

    DRF derives a ModelSerializer's fields from the model's metadata for every serializer
    instance, and deep-copies every serializer's declared fields for each instance; a deep copy of
    prebuilt fields still cost about a quarter of an order's CPU in the server (every field
    constructed again, nested serializers included), and the copy of the order input's fields
    another twentieth. A serializer at the root (not nested in another) therefore takes over its
    thread's bound fields, nested serializers already built, and points them at itself; a thread
    serializes one thing at a time. Nested ones are copied as before (once per copy of their
    root). Only for serializers whose fields do not depend on the instance, the request or the
    context.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        prebuilt = cls.__dict__.get("_prebuilt_fields")
        if prebuilt is None:
            prebuilt = super().get_fields()  # type: ignore[misc]
            cls._prebuilt_fields = prebuilt  # type: ignore[attr-defined]
        return copy.deepcopy(prebuilt)

    @cached_property
    def fields(self) -> Any:
        if getattr(self, "parent", None) is not None:
            return super().fields  # type: ignore[misc]
        bound_by_class = _thread_fields.__dict__.setdefault("by_class", {})
        bound = bound_by_class.get(type(self))
        if bound is None:
            bound = bound_by_class[type(self)] = super().fields  # type: ignore[misc]
            return bound
        # What DRF's bind() sets that depends on the serializer (name and source are the same).
        bound.serializer = self
        for field in bound.values():
            field.parent = self
        return bound


#: Each thread's bound fields of root serializers, by class.
_thread_fields = threading.local()


class AnswerSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    options = serializers.SerializerMethodField()

    class Meta:
        model = QuestionAnswer
        fields = ["question", "answer", "options"]

    def get_options(self, obj: QuestionAnswer) -> list[int]:
        return [option.pk for option in obj.options.all()]


class OrderPositionSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    order = serializers.CharField(source="order.code", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = OrderPosition
        fields = [
            "id",
            "order",
            "positionid",
            "product",
            "variation",
            "price",
            "tax_rate",
            "tax_value",
            "attendee_name",
            "attendee_email",
            "secret",
            "voucher",
            "answers",
        ]


class PaymentSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    details = serializers.SerializerMethodField()

    class Meta:
        model = OrderPayment
        fields = ["local_id", "provider", "amount", "state", "created", "payment_date", "details"]

    def get_details(self, obj: OrderPayment) -> dict[str, str]:
        """The provider's public ids (e.g. the payment service's transaction ids)."""
        return dict(obj.info.get(PUBLIC_INFO) or {})


class RefundSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    details = serializers.SerializerMethodField()

    class Meta:
        model = OrderRefund
        fields = ["local_id", "provider", "amount", "state", "created", "execution_date", "details"]

    def get_details(self, obj: OrderRefund) -> dict[str, str]:
        """The provider's public ids of the refund."""
        return dict(obj.info.get(PUBLIC_INFO) or {})


class OrderSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    positions = OrderPositionSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "code",
            "status",
            "require_approval",
            "email",
            "locale",
            "datetime",
            "expires",
            "modified",
            "total",
            "payment_fee",
            "cancellation_fee",
            "payment_provider",
            "url",
            "positions",
            "payments",
            "refunds",
        ]

    def get_url(self, obj: Order) -> str:
        event = self.context.get("event")
        if event is not None and event.pk == obj.event_id:
            obj.event = event
        return settings.SITE_URL + obj.get_absolute_url()


class AnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    answer = serializers.JSONField(required=False, allow_null=True)
    options = serializers.ListField(child=serializers.CharField(), required=False)


class PositionInputSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    variation = serializers.IntegerField(required=False, allow_null=True)
    price = serializers.DecimalField(max_digits=13, decimal_places=2, required=False, allow_null=True)
    attendee_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    attendee_email = serializers.EmailField(required=False, allow_blank=True, default="")
    voucher = serializers.CharField(max_length=190, required=False, allow_null=True, allow_blank=True)
    answers = AnswerInputSerializer(many=True, required=False, default=list)


class OrderCreateSerializer(PrebuiltFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    locale = serializers.ChoiceField(choices=[code for code, _name in settings.LANGUAGES], required=False)
    payment_provider = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    positions = PositionInputSerializer(many=True, allow_empty=False)
    send_email = serializers.BooleanField(default=False)
    simulate = serializers.BooleanField(default=False)


class MarkPaidSerializer(serializers.Serializer):
    provider = serializers.CharField(max_length=64, required=False, default="manual")
    amount = serializers.DecimalField(max_digits=13, decimal_places=2, required=False, allow_null=True)
    send_email = serializers.BooleanField(default=True)


class CancelSerializer(serializers.Serializer):
    cancellation_fee = serializers.DecimalField(max_digits=13, decimal_places=2, required=False, min_value=0)
    send_email = serializers.BooleanField(default=True)
    refund = serializers.BooleanField(default=True)


class ExtendSerializer(serializers.Serializer):
    expires = serializers.DateTimeField()


class SendEmailSerializer(serializers.Serializer):
    send_email = serializers.BooleanField(default=True)
