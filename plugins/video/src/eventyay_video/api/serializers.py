from __future__ import annotations

from typing import Any

from rest_framework import serializers

from eventyay_video.models import Module, Room
from eventyay_video.tokens import DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN


class ModuleSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(source="kind", choices=Module.Kind.choices)

    class Meta:
        model = Module
        fields = ["id", "type", "config", "order"]

    def to_representation(self, instance: Module) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.kind == Module.Kind.CALL_BBB:
            data["config"] = {k: v for k, v in data["config"].items() if k != "secret"}
        return data


class RoomSerializer(serializers.ModelSerializer):
    traits = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    modules = ModuleSerializer(many=True, read_only=True)
    channel = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = ["id", "name", "description", "order", "traits", "talk_room_name", "channel", "modules"]

    def get_channel(self, room: Room) -> int | None:
        channel = getattr(room, "channel", None)
        return channel.pk if channel else None


class TokenRevokeSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=200)


class TokenRevocationSerializer(serializers.Serializer):
    uid = serializers.CharField(help_text="The user whose tokens were revoked; empty for all users.")
    revoked_before = serializers.DateTimeField(help_text="Tokens issued before this moment are void.")


class TokenRequestSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=200)
    traits = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    display_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    expires_in = serializers.IntegerField(min_value=1, max_value=MAX_EXPIRES_IN, default=DEFAULT_EXPIRES_IN)
