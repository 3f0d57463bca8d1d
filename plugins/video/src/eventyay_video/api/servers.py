"""The organizer's server pools: ``/api/v1/organizers/<organizer>/video/bbb-servers/``,
``.../video/streaming-servers/`` and ``.../video/janus-servers/``.

Like the control panel's *Video servers* page, they take the organizer permission
``organizer.settings:write`` (for reading too: a pool's URLs are as much configuration as its
secrets). Secrets are write-only: an answer says whether one is set (``has_secret``,
``has_api_secret``, ``has_admin_key``), never what it is. The services check and save (URLs
against the outgoing-request policy, templates, the audit log), exactly as for the forms.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from eventyay.api.mixins import OrganizerViewMixin
from eventyay.api.views import actor_of
from eventyay.base.secrets import secret_encrypt
from eventyay_video import bbb, janus, streaming
from eventyay_video.models import BBBServer, JanusServer, StreamingServer

SERVER_PERMISSION = "organizer.settings:write"

_SECRET_STYLE = {"input_type": "password"}


def _merged(serializer: serializers.BaseSerializer, fields: list[str]) -> dict[str, Any]:
    """The validated data, completed with the stored values for fields a PATCH left out."""
    data = dict(serializer.validated_data)
    instance = serializer.instance
    if instance is not None:
        for name in fields:
            data.setdefault(name, getattr(instance, name))
    return data


class BBBServerSerializer(serializers.ModelSerializer):
    """A BigBlueButton server; ``secret`` (the shared secret) is write-only."""

    url = serializers.URLField(
        max_length=500, help_text="The API base, e.g. https://bbb.example.org/bigbluebutton/"
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style=_SECRET_STYLE,
        help_text="The shared secret (bbb-conf --secret). Required on creation; left out or empty keeps it.",
    )
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = BBBServer
        fields = ["id", "url", "checksum", "weight", "max_rooms", "active", "secret", "has_secret", "created"]
        read_only_fields = ["created"]

    def get_has_secret(self, server: BBBServer) -> bool:
        return bool(server.secret)


class StreamingServerSerializer(serializers.ModelSerializer):
    """A streaming server: ingest and HLS playback URL templates (rooms' keys are not here)."""

    class Meta:
        model = StreamingServer
        fields = ["id", "name", "ingest_url_template", "playback_url_template", "active", "created"]
        read_only_fields = ["created"]


class JanusServerSerializer(serializers.ModelSerializer):
    """A Janus server; ``api_secret`` and ``admin_key`` are write-only.

    Left out, a secret stays as it is; an empty string removes it.
    """

    url = serializers.URLField(
        max_length=500, help_text="The base of the Janus REST API, e.g. https://janus.example.org/janus"
    )
    weight = serializers.IntegerField(
        min_value=0,
        max_value=1000,
        default=1,
        help_text="Twice the weight gets twice the calls; 0 takes no new calls.",
    )
    api_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style=_SECRET_STYLE,
        help_text="Janus's api_secret.",
    )
    admin_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style=_SECRET_STYLE,
        help_text="The videoroom plugin's admin_key.",
    )
    has_api_secret = serializers.SerializerMethodField()
    has_admin_key = serializers.SerializerMethodField()

    class Meta:
        model = JanusServer
        fields = [
            "id",
            "url",
            "active",
            "weight",
            "api_secret",
            "admin_key",
            "has_api_secret",
            "has_admin_key",
            "created",
        ]
        read_only_fields = ["created"]

    def get_has_api_secret(self, server: JanusServer) -> bool:
        return bool(server.api_secret)

    def get_has_admin_key(self, server: JanusServer) -> bool:
        return bool(server.admin_key)


class _ServerViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    permission = SERVER_PERMISSION
    lookup_url_kwarg = "server"
    lookup_value_converter = "int"
    ordering_fields = ["id", "created"]
    ordering = ["id"]
    filterset_fields = ["active"]


class BBBServerViewSet(_ServerViewSet):
    serializer_class = BBBServerSerializer

    def get_queryset(self) -> QuerySet[BBBServer]:
        return BBBServer.objects.filter(organizer=self.organizer)

    def _save(self, serializer: serializers.BaseSerializer) -> None:
        data = _merged(serializer, ["url", "checksum", "weight", "max_rooms", "active"])
        serializer.instance = bbb.bbb_server_save(
            organizer=self.organizer, server=serializer.instance, data=data, actor=actor_of(self.request)
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def perform_destroy(self, instance: BBBServer) -> None:
        bbb.bbb_server_delete(server=instance, actor=actor_of(self.request))


class StreamingServerViewSet(_ServerViewSet):
    serializer_class = StreamingServerSerializer
    ordering_fields = ["id", "created", "name"]

    def get_queryset(self) -> QuerySet[StreamingServer]:
        return StreamingServer.objects.filter(organizer=self.organizer)

    def _save(self, serializer: serializers.BaseSerializer) -> None:
        data = _merged(serializer, ["name", "ingest_url_template", "playback_url_template", "active"])
        serializer.instance = streaming.streaming_server_save(
            organizer=self.organizer, server=serializer.instance, data=data, actor=actor_of(self.request)
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def perform_destroy(self, instance: StreamingServer) -> None:
        streaming.streaming_server_delete(server=instance, actor=actor_of(self.request))


def _stored_secret(data: dict[str, Any], name: str, current: str) -> str:
    """What to store: the current value when left out, nothing when empty, else encrypted."""
    if name not in data:
        return current
    plain = str(data[name]).strip()
    return secret_encrypt(plain) if plain else ""


class JanusServerViewSet(_ServerViewSet):
    serializer_class = JanusServerSerializer

    def get_queryset(self) -> QuerySet[JanusServer]:
        return JanusServer.objects.filter(organizer=self.organizer)

    def _save(self, serializer: serializers.BaseSerializer) -> None:
        server: JanusServer | None = serializer.instance
        data = _merged(serializer, ["url", "active", "weight"])
        serializer.instance = janus.janus_server_save(
            organizer=self.organizer,
            server=server,
            url=data["url"],
            active=bool(data.get("active", True)),
            weight=data.get("weight", 1),
            api_secret=_stored_secret(data, "api_secret", server.api_secret if server else ""),
            admin_key=_stored_secret(data, "admin_key", server.admin_key if server else ""),
            actor=actor_of(self.request),
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def perform_destroy(self, instance: JanusServer) -> None:
        janus.janus_server_delete(server=instance, actor=actor_of(self.request))
