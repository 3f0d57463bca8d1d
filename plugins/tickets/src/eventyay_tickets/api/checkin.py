"""Check-in API: the organizer-level redeem RPC, check-in lists and their positions for offline sync."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventyay.api.mixins import EventViewMixin, OrganizerViewMixin
from eventyay.api.permissions import api_grant
from eventyay.api.views import actor_of
from eventyay_tickets.models import Checkin, CheckinList, OrderPosition, Product
from eventyay_tickets.services.checkin import (
    RedeemResult,
    checkin_list_delete,
    checkin_list_positions,
    checkin_list_save,
    checkin_redeem,
)

CHECKIN = "event.checkin:write"
ITEMS_WRITE = "event.items:write"


#: The largest primary key (a 64-bit ``BigAutoField``): a larger id names no list, and the
#: database cannot even compare it, so it is refused as input.
MAX_ID = 2**63 - 1


class RedeemSerializer(serializers.Serializer):
    secret = serializers.CharField(max_length=190)
    lists = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=50
    )
    nonce = serializers.CharField(max_length=190, required=False, allow_blank=True, default="")
    type = serializers.ChoiceField(choices=Checkin.Type.choices, default=Checkin.Type.ENTRY)
    datetime = serializers.DateTimeField(required=False, allow_null=True, default=None)


def _checkin_data(checkin: Checkin) -> dict[str, Any]:
    return {
        "id": checkin.pk,
        "list": checkin.checkin_list_id,
        "type": checkin.type,
        "datetime": checkin.datetime.isoformat(),
    }


def _position_data(position: OrderPosition) -> dict[str, Any]:
    return {
        "id": position.pk,
        "order": position.order.code,
        "positionid": position.positionid,
        "product": position.product_id,
        "product_name": str(position.product.name),
        "variation": position.variation_id,
        "attendee_name": position.attendee_name,
        "attendee_email": position.attendee_email,
        "order_status": position.order.status,
    }


def redeem_response(result: RedeemResult) -> dict[str, Any]:
    data: dict[str, Any] = {"status": result.status, "reason": result.reason or None}
    if result.when is not None:
        data["when"] = result.when.isoformat()
    if result.checkin_list is not None:
        data["list"] = result.checkin_list.pk
    if result.position is not None:
        data["position"] = _position_data(result.position)
    if result.checkin is not None:
        data["checkin"] = _checkin_data(result.checkin)
        data["replayed"] = result.replayed
    return data


class CheckinDataSerializer(serializers.Serializer):
    """One check-in as ``_checkin_data`` writes it, for the API schema."""

    id = serializers.IntegerField()
    list = serializers.IntegerField()
    type = serializers.CharField()
    datetime = serializers.DateTimeField()


class PositionDataSerializer(serializers.Serializer):
    """A position as ``_position_data`` writes it, for the API schema."""

    id = serializers.IntegerField()
    order = serializers.CharField()
    positionid = serializers.IntegerField()
    product = serializers.IntegerField()
    product_name = serializers.CharField()
    variation = serializers.IntegerField(allow_null=True)
    attendee_name = serializers.CharField(allow_blank=True)
    attendee_email = serializers.CharField(allow_blank=True)
    order_status = serializers.CharField()


class ScannerPositionSerializer(PositionDataSerializer):
    """A row of ``positions/``: the position with its secret and this list's check-ins."""

    secret = serializers.CharField()
    checkins = CheckinDataSerializer(many=True)


class RedeemResultSerializer(serializers.Serializer):
    """The answer to one scan, for the API schema (``redeem_response`` builds it)."""

    status = serializers.ChoiceField(
        choices=["ok", "already_redeemed", "unpaid", "canceled", "product", "invalid"]
    )
    reason = serializers.CharField(allow_null=True)
    when = serializers.DateTimeField(required=False)
    list = serializers.IntegerField(required=False)
    position = PositionDataSerializer(required=False)
    checkin = CheckinDataSerializer(required=False)
    replayed = serializers.BooleanField(required=False)


@extend_schema(request=RedeemSerializer, responses={200: RedeemResultSerializer, 201: RedeemResultSerializer})
class RedeemView(OrganizerViewMixin, APIView):  # type: ignore[misc]
    """``POST /api/v1/organizers/<org>/checkinrpc/redeem/``: decide one scan.

    Answers 201 when a new check-in was recorded, 200 for every other decided scan (``status``
    says which), 400 for malformed input. Lists of events the actor cannot see are unknown
    (400); lists the actor sees without the ``event.checkin:write`` permission answer 403.
    """

    def post(self, request: Request, organizer: str) -> Response:
        serializer = RedeemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        grant = api_grant(request, self.organizer)
        wanted = set(data["lists"])
        lists = [
            cl
            for cl in CheckinList.objects.filter(event__organizer=self.organizer, pk__in=wanted)
            .select_related("event__organizer")
            .prefetch_related("products")
            if grant.can_see_event(cl.event)
        ]
        if {cl.pk for cl in lists} != wanted:
            raise ValidationError({"lists": ["Unknown check-in list."]})
        if not all(grant.has_event_permission(cl.event, CHECKIN) for cl in lists):
            raise PermissionDenied(f"This needs the “{CHECKIN}” permission.")
        try:
            result = checkin_redeem(
                organizer=self.organizer,
                secret=data["secret"],
                lists=lists,
                nonce=data["nonce"],
                type=data["type"],
                datetime=data["datetime"],
                actor=actor_of(request),
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)
        created = result.ok and not result.replayed
        return Response(
            redeem_response(result), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class CheckinListSerializer(serializers.ModelSerializer):
    products: Any = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Product.objects.none(), required=False
    )

    class Meta:
        model = CheckinList
        fields = [
            "id",
            "name",
            "all_products",
            "products",
            "include_pending",
            "allow_multiple_entries",
            "allow_exit",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.context.get("event")
        if event is not None:
            products = self.fields["products"]
            assert isinstance(products, serializers.ManyRelatedField)
            products.child_relation.queryset = Product.objects.filter(event=event)


class CheckinListViewSet(EventViewMixin, viewsets.ModelViewSet):  # type: ignore[misc]
    """Check-in lists of the event; ``positions/`` serves what an offline scanner needs."""

    serializer_class = CheckinListSerializer
    permission = CHECKIN
    write_permission = ITEMS_WRITE
    action_permissions = {"positions": CHECKIN}

    def get_queryset(self) -> QuerySet[CheckinList]:
        return CheckinList.objects.filter(event=self.event).prefetch_related("products")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = checkin_list_save(
            event=self.event, data=dict(serializer.validated_data), actor=actor_of(self.request)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = checkin_list_save(
            event=self.event,
            data=dict(serializer.validated_data),
            instance=serializer.instance,
            actor=actor_of(self.request),
        )

    def perform_destroy(self, instance: CheckinList) -> None:
        checkin_list_delete(event=self.event, instance=instance, actor=actor_of(self.request))

    @extend_schema(responses=ScannerPositionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def positions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Positions the list admits, with secrets and this list's check-ins, for offline scanning.

        ``?modified_since=<ISO datetime>`` returns only positions whose order changed or that
        were checked in since then, including orders canceled since (``order_status`` tells the
        device to drop them).
        """
        checkin_list = self.get_object()
        raw = request.query_params.get("modified_since")
        if raw:
            since = parse_datetime(raw)
            if since is None:
                raise ValidationError({"modified_since": ["Enter an ISO 8601 date and time."]})
            positions = OrderPosition.objects.filter(order__event=self.event)
            if not checkin_list.all_products:
                positions = positions.filter(product__in=checkin_list.products.all())
            positions = positions.filter(
                Q(order__modified__gte=since)
                | Exists(Checkin.objects.filter(position=OuterRef("pk"), created__gte=since))
            )
        else:
            positions = checkin_list_positions(checkin_list)
        positions = (
            positions.select_related("order", "product")
            .prefetch_related(
                Prefetch(
                    "checkins",
                    queryset=Checkin.objects.filter(checkin_list=checkin_list).order_by("datetime", "pk"),
                    to_attr="list_checkins",
                )
            )
            .order_by("pk")
        )
        page = self.paginate_queryset(positions) or []
        rows = [
            {**_position_data(p), "secret": p.secret, "checkins": [_checkin_data(c) for c in p.list_checkins]}
            for p in page
        ]
        return self.get_paginated_response(rows)
