"""``/api/v1/organizers/<org>/automation/rules/`` (with pause and resume) and ``.../automation/templates/``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import OrganizerViewMixin
from eventyay.base.models import Event
from eventyay_campaigns.hooks import CAMPAIGNS_READ_PERMISSION, CAMPAIGNS_WRITE_PERMISSION
from eventyay_campaigns.models import AutomationAction, AutomationRule, MessageTemplate
from eventyay_campaigns.services import automation


class ActionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AutomationAction.Kind.choices)
    delay_minutes = serializers.IntegerField(min_value=0, default=0, help_text="Minutes after the trigger.")
    template = serializers.IntegerField(
        source="template_id", required=False, allow_null=True, help_text="Message template id (send_message)."
    )
    tag = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="add_tag, remove_tag."
    )
    webhook_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="webhook: called with a JSON POST."
    )


class RuleSerializer(serializers.ModelSerializer):
    event: serializers.SlugRelatedField[Event] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Event.objects.none(),
        required=False,
        allow_null=True,
        help_text="Short form of the one event the rule is limited to (event triggers).",
    )
    conditions = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text='Contact filter parameters the contact must match, e.g. {"city": "Berlin"}.',
    )
    actions = ActionSerializer(many=True, help_text="The steps, in order.")

    class Meta:
        model = AutomationRule
        fields = [
            "id",
            "name",
            "trigger",
            "tag",
            "event",
            "offset_minutes",
            "conditions",
            "actions",
            "status",
            "created",
            "updated",
        ]
        read_only_fields = ["status", "created", "updated"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizer = self.context.get("organizer")
        if organizer is not None:
            event_field = self.fields["event"]
            assert isinstance(event_field, serializers.SlugRelatedField)
            event_field.queryset = Event.objects.filter(organizer=organizer)


class TemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageTemplate
        fields = ["id", "name", "channel", "subject", "body", "created", "updated"]
        read_only_fields = ["created", "updated"]


def _actions(validated: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "kind": a["kind"],
            "delay_minutes": a.get("delay_minutes", 0),
            "template": a.get("template_id"),
            "tag": a.get("tag", ""),
            "webhook_url": a.get("webhook_url", ""),
        }
        for a in validated
    ]


class RuleViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    """Automation rules. Pausing cancels the rule's pending steps; resuming fires it again
    for what happens from then on."""

    permission = CAMPAIGNS_READ_PERMISSION
    write_permission = CAMPAIGNS_WRITE_PERMISSION
    serializer_class = RuleSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[AutomationRule]:
        return (
            AutomationRule.objects.filter(organizer=self.organizer)
            .select_related("event")
            .prefetch_related("actions")
        )

    def _save(self, serializer: serializers.BaseSerializer, rule: AutomationRule | None) -> None:
        data = dict(serializer.validated_data)
        actions = data.pop("actions", None)
        serializer.instance = automation.rule_save(
            organizer=self.organizer,
            data=data,
            actions=_actions(actions) if actions is not None else None,
            rule=rule,
            actor=self.request.auth or self.request.user,
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: AutomationRule) -> None:
        automation.rule_delete(rule=instance, actor=self.request.auth or self.request.user)

    @extend_schema(request=None, responses=RuleSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        automation.rule_pause(rule=rule, actor=request.auth or request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=rule.pk)).data)

    @extend_schema(request=None, responses=RuleSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        automation.rule_resume(rule=rule, actor=request.auth or request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=rule.pk)).data)


class TemplateViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    """Message templates that automation steps send (email or SMS)."""

    permission = CAMPAIGNS_READ_PERMISSION
    write_permission = CAMPAIGNS_WRITE_PERMISSION
    serializer_class = TemplateSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[MessageTemplate]:
        return MessageTemplate.objects.filter(organizer=self.organizer)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = automation.template_save(
            organizer=self.organizer,
            data=dict(serializer.validated_data),
            actor=self.request.auth or self.request.user,
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = automation.template_save(
            organizer=self.organizer,
            template=serializer.instance,
            data=dict(serializer.validated_data),
            actor=self.request.auth or self.request.user,
        )

    def perform_destroy(self, instance: MessageTemplate) -> None:
        automation.template_delete(template=instance, actor=self.request.auth or self.request.user)
