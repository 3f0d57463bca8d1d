"""Serializers of the core resources. They validate shapes; the services in base/services decide."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from i18nfield.strings import LazyI18nString
from rest_framework import serializers

from eventyay.base.models import (
    Event,
    Organizer,
    Team,
    TeamAPIToken,
    TeamInvite,
    User,
    WebHook,
    WebHookDelivery,
)
from eventyay.base.permissions import permission_names
from eventyay.base.services.webhooks import webhook_action_types


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "object", "additionalProperties": {"type": "string"}},
        ]
    }
)
class I18nField(serializers.Field):
    """A translated text: ``{"en": "...", "de": "..."}`` (a plain string means every language)."""

    def __init__(self, **kwargs: Any) -> None:
        self.max_length = kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        data = getattr(value, "data", value)
        if data is None:
            return None
        return data if isinstance(data, dict | str) else str(data)

    def to_internal_value(self, data: Any) -> Any:
        languages = {code for code, _name in settings.LANGUAGES}
        if isinstance(data, str):
            texts = {"": data}
        elif isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
            unknown = sorted(set(data) - languages)
            if unknown:
                raise serializers.ValidationError(f"Unknown languages: {', '.join(unknown)}")
            texts = data
        else:
            raise serializers.ValidationError("Give a string or an object of language code → string.")
        if any("\x00" in text for text in texts.values()):
            # As DRF's CharField does: PostgreSQL cannot store the character in a text.
            raise serializers.ValidationError(ProhibitNullCharactersValidator.message)
        if self.max_length and any(len(text) > self.max_length for text in texts.values()):
            raise serializers.ValidationError(
                f"Ensure this field has no more than {self.max_length} characters."
            )
        if isinstance(data, str) and LazyI18nString(data).data != data:
            # i18n fields store a plain text as it is and read any text that parses as JSON
            # ("123", "true", "{...}") back as that JSON value; as a translation it stays a text.
            return {settings.LANGUAGE_CODE: data}
        return data


class EventSlugsField(serializers.ListField):
    """Events by short form (a many-to-many relation)."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, data: Any) -> list[str]:
        return sorted(event.slug for event in data.all())


class PluginNamesField(serializers.ListField):
    """The names of the plugins switched on for an event."""

    child = serializers.CharField(max_length=100)

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance: Any) -> list[str]:
        prefetched = getattr(instance, "enabled_plugin_states", None)
        if prefetched is not None:
            return sorted(state.name for state in prefetched)
        return sorted(instance.enabled_plugin_names)

    # source="*" fields return a mapping merged into validated_data, unlike ListField.
    def to_internal_value(self, data: Any) -> dict[str, list[str]]:  # type: ignore[override]
        return {"plugins": super().to_internal_value(data)}


class OrganizerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organizer
        fields = ["slug", "name", "require_2fa", "created"]
        read_only_fields = ["slug", "created"]


class EventSerializer(serializers.ModelSerializer):
    name = I18nField(max_length=200)
    description = I18nField(required=False, allow_null=True)
    plugins = PluginNamesField(
        required=False,
        help_text="Names of the plugins switched on for this event. Write the full list to switch "
        "plugins on and off; requirements are switched on too.",
    )
    locales = serializers.ListField(child=serializers.CharField(max_length=16), required=False)
    public_url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "slug",
            "name",
            "description",
            "date_from",
            "date_to",
            "timezone",
            "locale",
            "locales",
            "currency",
            "is_public",
            "live",
            "plugins",
            "public_url",
            "created",
        ]
        read_only_fields = ["created"]
        extra_kwargs: dict[str, dict[str, Any]] = {"slug": {"validators": []}}

    def get_public_url(self, instance: Event) -> str:
        return settings.SITE_URL + f"/{instance.organizer.slug}/{instance.slug}/"


class EventCloneSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=50)
    name = I18nField(max_length=200, required=False)
    date_from = serializers.DateTimeField(required=False)
    date_to = serializers.DateTimeField(required=False, allow_null=True)


class PluginSerializer(serializers.Serializer):
    name = serializers.CharField()
    module = serializers.CharField()
    verbose_name = serializers.CharField(required=False)
    version = serializers.CharField(required=False, allow_blank=True)
    author = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    visible = serializers.BooleanField(required=False)
    restricted = serializers.BooleanField(required=False)
    compatibility = serializers.CharField(required=False, allow_blank=True)
    compatible = serializers.BooleanField()
    error = serializers.CharField(required=False, allow_blank=True)
    requires = serializers.ListField(child=serializers.CharField(), required=False)
    level = serializers.CharField(required=False)
    hooks = serializers.ListField(child=serializers.CharField())


class TeamSerializer(serializers.ModelSerializer):
    permissions = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    limit_events = EventSlugsField(required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "permissions", "all_events", "limit_events"]

    def validate_permissions(self, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - permission_names())
        if unknown:
            raise serializers.ValidationError(f"Unknown permission: {', '.join(unknown)}")
        return value


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "fullname"]


class InviteSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, allow_null=True)
    member_added = serializers.BooleanField(
        read_only=True, default=False, help_text="The address belonged to a user, who was added at once."
    )

    class Meta:
        model = TeamInvite
        fields = ["id", "email", "created", "member_added"]
        read_only_fields = ["created"]


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamAPIToken
        fields = ["id", "name", "prefix", "active", "created", "last_used"]
        read_only_fields = ["prefix", "active", "created", "last_used"]


class TokenCreatedSerializer(TokenSerializer):
    """The answer to creating a token: the only one that carries the secret."""

    token = serializers.CharField(read_only=True, help_text="The secret; it is not shown again.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


class WebHookSerializer(serializers.ModelSerializer):
    action_types = serializers.ListField(child=serializers.CharField(max_length=190))
    limit_events = EventSlugsField(required=False)

    class Meta:
        model = WebHook
        fields = [
            "id",
            "target_url",
            "enabled",
            "all_events",
            "limit_events",
            "action_types",
            "secret",
            "disabled_reason",
            "created",
        ]
        read_only_fields = ["secret", "disabled_reason", "created"]

    def validate_action_types(self, value: list[str]) -> list[str]:
        known = webhook_action_types()
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise serializers.ValidationError(f"Unknown action type: {', '.join(unknown)}")
        return value


class WebHookDeliverySerializer(serializers.ModelSerializer):
    response_headers = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WebHookDelivery
        fields = [
            "id",
            "delivery_id",
            "action_type",
            "payload",
            "status",
            "attempts",
            "next_attempt",
            "response_code",
            "response_body",
            "response_headers",
            "created",
            "delivered",
        ]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["user", "token"])
    email = serializers.EmailField(required=False)
    fullname = serializers.CharField(required=False)
    locale = serializers.CharField(required=False)
    organizer = serializers.CharField(required=False, help_text="For tokens: the team's organizer.")
    team = serializers.CharField(required=False, help_text="For tokens: the team's name.")
    permissions = serializers.ListField(child=serializers.CharField(), required=False)
    token_name = serializers.CharField(required=False)
