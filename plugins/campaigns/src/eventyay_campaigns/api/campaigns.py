"""``/api/v1/organizers/<org>/campaigns/``: campaigns, and sending, pausing, resuming, canceling them.

Only drafts are changed or deleted; a campaign in another state answers 409, as do actions
its state does not allow (resuming a campaign that is not paused). ``send`` starts sending at
once (202: the recipients are frozen, workers send them), or schedules the campaign when it
has a ``send_at`` in the future.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import OrganizerViewMixin
from eventyay_campaigns.hooks import CAMPAIGNS_READ_PERMISSION, CAMPAIGNS_WRITE_PERMISSION
from eventyay_campaigns.models import UTM_FIELDS, Campaign, Segment
from eventyay_campaigns.services import campaigns as services


class CampaignCountersSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Recipients frozen when sending started.")
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Unsubscribed or suppressed after the list was frozen.")
    canceled = serializers.IntegerField()
    queued = serializers.IntegerField(help_text="Not sent yet (including messages being sent).")
    delivered = serializers.IntegerField()
    bounced = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    clicks = serializers.IntegerField(help_text="Messages clicked at least once, scanner clicks left out.")


class CampaignSerializer(serializers.ModelSerializer):
    filter = serializers.DictField(
        source="filters",
        required=False,
        help_text='Contact filters: the query parameters of the contacts list, e.g. {"city": "Berlin"}. '
        "Ignored while a segment is set.",
    )
    segment: serializers.PrimaryKeyRelatedField[Segment] = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.none(), required=False, allow_null=True, help_text="A saved segment's id."
    )
    counters = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "filter",
            "segment",
            "channel",
            "subject",
            "body",
            "sender",
            *UTM_FIELDS,
            "track_opens",
            "send_at",
            "status",
            "counters",
            "created",
            "updated",
            "started_at",
            "finished_at",
        ]
        read_only_fields = ["id", "status", "counters", "created", "updated", "started_at", "finished_at"]
        extra_kwargs = {"body": {"help_text": "Markdown with {placeholders} such as {first_name}."}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizer = self.context.get("organizer")
        if organizer is not None:
            cast(
                serializers.PrimaryKeyRelatedField, self.fields["segment"]
            ).queryset = Segment.objects.filter(organizer=organizer)

    @extend_schema_field(CampaignCountersSerializer)
    def get_counters(self, campaign: Campaign) -> dict[str, int]:
        figures = self.context.get("figures") or {}
        if campaign.pk not in figures:
            figures = services.campaign_figures([campaign])
        return figures[campaign.pk]


def _actor(request: Request) -> Any:
    return request.auth or request.user


def _conflict(exc: services.CampaignStateError) -> Response:
    messages = [str(m) for m in exc.messages]
    return Response({"detail": " ".join(messages)}, status=status.HTTP_409_CONFLICT)


def _invalid(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return exceptions.ValidationError({"non_field_errors": [str(m) for m in exc.messages]})


ACTION_RESPONSES = {
    200: CampaignSerializer,
    409: OpenApiResponse(description="The campaign's state does not allow this."),
}


class CampaignViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    """Campaigns of the organizer; ``counters`` are aggregates of their messages and facts."""

    permission = CAMPAIGNS_READ_PERMISSION
    write_permission = CAMPAIGNS_WRITE_PERMISSION
    serializer_class = CampaignSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.filter(organizer=self.organizer).select_related("organizer")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        context = {**self.get_serializer_context(), "figures": services.campaign_figures(page)}
        return self.get_paginated_response(CampaignSerializer(page, many=True, context=context).data)

    def _data(self, serializer: serializers.BaseSerializer) -> dict[str, Any]:
        data = dict(serializer.validated_data)
        if "filters" in data and data["filters"] is None:
            data["filters"] = {}
        return data

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        try:
            serializer.instance = services.campaign_save(
                organizer=self.organizer, data=self._data(serializer), actor=_actor(self.request)
            )
        except DjangoValidationError as exc:
            raise _invalid(exc) from exc

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().update(request, *args, **kwargs)
        except services.CampaignStateError as exc:
            return _conflict(exc)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        assert isinstance(serializer.instance, Campaign)
        try:
            serializer.instance = services.campaign_save(
                organizer=self.organizer,
                campaign=serializer.instance,
                data=self._data(serializer),
                actor=_actor(self.request),
            )
        except services.CampaignStateError:
            raise
        except DjangoValidationError as exc:
            raise _invalid(exc) from exc

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            services.campaign_delete(campaign=self.get_object(), actor=_actor(request))
        except services.CampaignStateError as exc:
            return _conflict(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _answer(self, campaign: Campaign, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(campaign).data, status=code)

    @extend_schema(
        request=None,
        responses={
            202: CampaignSerializer,
            409: OpenApiResponse(description="Only a draft or scheduled campaign can be sent."),
        },
        description="Freeze the recipients and start sending (or schedule the campaign, when its "
        "send_at lies in the future). Answers 202: workers send the messages at the organizer's rate.",
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, **kwargs: Any) -> Response:
        campaign = self.get_object()
        try:
            if campaign.send_at and campaign.send_at > timezone.now():
                campaign = services.campaign_schedule(
                    campaign=campaign, send_at=campaign.send_at, actor=_actor(request)
                )
            else:
                campaign = services.campaign_start(campaign=campaign, actor=_actor(request))
        except services.CampaignStateError as exc:
            return _conflict(exc)
        except DjangoValidationError as exc:
            raise _invalid(exc) from exc
        return self._answer(campaign, status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ACTION_RESPONSES, description="Stop sending; resume continues.")
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, **kwargs: Any) -> Response:
        try:
            campaign = services.campaign_pause(campaign=self.get_object(), actor=_actor(request))
        except services.CampaignStateError as exc:
            return _conflict(exc)
        return self._answer(campaign)

    @extend_schema(request=None, responses=ACTION_RESPONSES, description="Continue a paused campaign.")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, **kwargs: Any) -> Response:
        try:
            campaign = services.campaign_resume(campaign=self.get_object(), actor=_actor(request))
        except services.CampaignStateError as exc:
            return _conflict(exc)
        return self._answer(campaign)

    @extend_schema(
        request=None,
        responses=ACTION_RESPONSES,
        description="Cancel a campaign that has not finished; its unsent messages are canceled.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, **kwargs: Any) -> Response:
        try:
            campaign = services.campaign_cancel(campaign=self.get_object(), actor=_actor(request))
        except services.CampaignStateError as exc:
            return _conflict(exc)
        return self._answer(campaign)
