from __future__ import annotations

from typing import Any

from rest_framework import serializers

from eventyay_cms.models import Connection, PulledPage


class ConnectionSerializer(serializers.ModelSerializer):
    """A connection; ``password`` is write-only and never read back, not even masked."""

    type = serializers.CharField(max_length=32)
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"}
    )
    pull = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    push = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    has_password = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    last_sync = serializers.DateTimeField(read_only=True)
    last_error = serializers.CharField(read_only=True)

    class Meta:
        model = Connection
        fields = [
            "id",
            "type",
            "name",
            "base_url",
            "username",
            "password",
            "has_password",
            "pull",
            "push",
            "conflict_policy",
            "last_sync",
            "last_error",
            "counts",
            "webhook_url",
        ]

    def get_has_password(self, obj: Connection) -> bool:
        return bool(obj.password)

    def get_webhook_url(self, obj: Connection) -> str:
        request = self.context.get("request")
        path = f"/{obj.event.organizer.slug}/{obj.event.slug}/cms/webhook/{obj.uuid}/"
        return request.build_absolute_uri(path) if request else path

    def get_counts(self, obj: Connection) -> dict[str, int]:
        counts: dict[str, Any] = obj.counts()
        return counts

    def validate_base_url(self, value: str) -> str:
        # Checked against the outgoing-request policy by the service.
        return value


class PulledPageSerializer(serializers.ModelSerializer):
    connection: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = PulledPage
        fields = [
            "id",
            "connection",
            "external_id",
            "kind",
            "slug",
            "title",
            "html",
            "published",
            "show_in_nav",
            "remote_modified",
            "updated",
        ]
        read_only_fields = fields
