"""``/api/v1/organizers/<org>/analytics/campaigns/``: campaign figures by UTM values or campaign."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import OrganizerViewMixin
from eventyay_campaigns.hooks import CAMPAIGNS_READ_PERMISSION
from eventyay_campaigns.models import Campaign
from eventyay_campaigns.services.analytics import FILTER_FIELDS, campaign_report


class FiguresSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    bounced = serializers.IntegerField()
    complained = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    clicks = serializers.IntegerField(help_text="Clicks by people (scanners left out).")
    unique_clicks = serializers.IntegerField(help_text="Messages clicked by a person (scanners left out).")
    opens = serializers.IntegerField(help_text="Messages whose open pixel loaded; indicative only.")
    click_through_rate = serializers.FloatField(help_text="unique_clicks / (sent - bounced), in percent.")
    orders_first_touch = serializers.IntegerField()
    orders_last_touch = serializers.IntegerField()
    revenue_first_touch = serializers.DecimalField(max_digits=15, decimal_places=2)
    revenue_last_touch = serializers.DecimalField(max_digits=15, decimal_places=2)
    registrations_first_touch = serializers.IntegerField()
    registrations_last_touch = serializers.IntegerField()


class CampaignFiguresSerializer(FiguresSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=Campaign.Status.choices)
    utm_source = serializers.CharField()
    utm_medium = serializers.CharField()
    utm_campaign = serializers.CharField()
    utm_content = serializers.CharField()
    utm_term = serializers.CharField()


class DayFiguresSerializer(FiguresSerializer):
    date = serializers.DateField()


class ReportSerializer(serializers.Serializer):
    filters = serializers.DictField(child=serializers.CharField(), help_text="The filters applied.")
    currencies = serializers.ListField(
        child=serializers.CharField(), help_text="Currencies of the attributed revenue."
    )
    totals = FiguresSerializer()
    campaigns = CampaignFiguresSerializer(many=True)
    daily = DayFiguresSerializer(many=True, help_text="Per day (UTC), over the selected campaigns.")


class FilterSerializer(serializers.Serializer):
    utm_source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=100, required=False, allow_blank=True)
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=f"Only campaigns with this {name}.")
    for name in FILTER_FIELDS
] + [
    OpenApiParameter(
        "campaign", OpenApiTypes.INT, description="Only the campaign with this id (404 if none)."
    )
]


class CampaignAnalyticsView(OrganizerViewMixin, generics.GenericAPIView):
    """Figures of the organizer's campaigns, selected by their UTM values, per campaign and per day.

    One report object, not a list: ``campaigns`` and ``daily`` inside it are the lists.
    """

    permission = CAMPAIGNS_READ_PERMISSION
    serializer_class = ReportSerializer

    @extend_schema(parameters=PARAMETERS, responses=ReportSerializer)
    def get(self, request: Request, **kwargs: Any) -> Response:
        params = FilterSerializer(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        filters = dict(params.validated_data)
        campaign_id = filters.pop("campaign", None)
        report = campaign_report(organizer=self.organizer, filters=filters, campaign_id=campaign_id)
        if campaign_id is not None and not report.campaigns:
            raise exceptions.NotFound()
        return Response(report.as_dict())
