"""Exporters over the API, in the shape pretix clients know.

``GET …/exporters/`` lists what the caller may run, ``POST …/exporters/<identifier>/run/``
answers 202 with a ``download`` URL, and that URL answers 409 while the job is waiting or
running, 200 with the file when done, 410 when it failed and 404 for jobs that are unknown,
expired or someone else's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventyay.api.mixins import EventViewMixin, OrganizerViewMixin
from eventyay.api.permissions import api_grant
from eventyay.base.exporters import ExporterNotFound, input_parameters
from eventyay.base.exporters.registry import RegisteredExporter, exporters_for, permitted_events
from eventyay.base.models import Job, TeamAPIToken
from eventyay.base.services.exports import export_job_create, job_belongs_to
from eventyay.base.storage import serve_private_file


class ExporterSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    verbose_name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    input_parameters = serializers.ListField(child=serializers.DictField())

    @staticmethod
    def describe(entry: RegisteredExporter, exporter: Any) -> dict[str, Any]:
        return {
            "identifier": entry.identifier,
            "verbose_name": str(entry.exporter.verbose_name),
            "description": str(entry.exporter.description),
            "category": str(entry.exporter.category),
            "input_parameters": input_parameters(exporter),
        }


DOWNLOAD = inline_serializer("ExportStarted", {"download": serializers.URLField()})
JOB_STATUS = inline_serializer(
    "ExportRunning", {"status": serializers.CharField(), "percentage": serializers.IntegerField()}
)
JOB_FAILED = inline_serializer(
    "ExportFailed", {"status": serializers.CharField(), "message": serializers.CharField()}
)
EXPORTERS = inline_serializer(
    "ExporterList",
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": ExporterSerializer(many=True),
    },
)


class _ExportViewMixin:
    """Shared by the event and organizer variants; ``self.event`` is None at organizer level."""

    request: Any
    organizer: Any
    url_prefix: str

    @property
    def export_event(self) -> Any:
        return getattr(self.request, "event", None)

    def entries(self) -> list[tuple[RegisteredExporter, Any]]:
        if getattr(self, "swagger_fake_view", False):
            return []
        grant = api_grant(self.request, self.organizer)
        event = self.export_event
        return [
            (
                entry,
                entry.exporter(
                    organizer=self.organizer,
                    event=event,
                    events=None if event is not None else permitted_events(self.organizer, grant, entry),
                ),
            )
            for entry in exporters_for(organizer=self.organizer, event=event, grant=grant)
        ]

    def url_kwargs(self, **extra: Any) -> dict[str, Any]:
        kwargs = {"organizer": self.organizer.slug, **extra}
        if self.export_event is not None:
            kwargs["event"] = self.export_event.slug
        return kwargs


class _ExporterList(_ExportViewMixin, APIView):
    @extend_schema(responses={200: EXPORTERS})
    def get(self, request: Request, **kwargs: Any) -> Response:
        results = [ExporterSerializer.describe(entry, exporter) for entry, exporter in self.entries()]
        return Response({"count": len(results), "next": None, "previous": None, "results": results})


class _ExporterRun(_ExportViewMixin, APIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            202: DOWNLOAD,
            400: OpenApiResponse(description="An option is invalid; the answer names it."),
            404: OpenApiResponse(description="No such exporter, or not for this caller."),
        },
    )
    def post(self, request: Request, identifier: str, **kwargs: Any) -> Response:
        data = request.data
        if hasattr(data, "dict"):
            data = data.dict()  # form-encoded: one value per option
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Send the options as a JSON object."]})
        token = request.auth if isinstance(request.auth, TeamAPIToken) else None
        user = request.user if token is None and request.user.is_authenticated else None
        try:
            job = export_job_create(
                organizer=self.organizer,
                event=self.export_event,
                identifier=identifier,
                options=data,
                grant=api_grant(request, self.organizer),
                user=user,
                token=token,
            )
        except ExporterNotFound:
            raise exceptions.NotFound("No exporter of that name is available to you.") from None
        except ValidationError as invalid:
            raise exceptions.ValidationError(invalid.message_dict) from None
        url = reverse(
            f"api:{self.url_prefix}-download", kwargs=self.url_kwargs(identifier=identifier, job=job.pk)
        )
        return Response({"download": request.build_absolute_uri(url)}, status=status.HTTP_202_ACCEPTED)


class _ExportDownload(_ExportViewMixin, APIView):
    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            409: JOB_STATUS,
            410: JOB_FAILED,
            404: OpenApiResponse(description="Unknown, expired or someone else's."),
        }
    )
    def get(self, request: Request, identifier: str, job: Any, **kwargs: Any) -> Any:
        found = (
            Job.objects.filter(
                pk=job,
                organizer=self.organizer,
                event=self.export_event,
                identifier=identifier,
                kind=Job.Kind.EXPORT,
            )
            .select_related("token")
            .first()
        )
        if found is None or not job_belongs_to(found, user=request.user, token=request.auth):
            raise exceptions.NotFound()
        if found.state == Job.State.FAILED:
            return Response({"status": "failed", "message": found.error}, status=status.HTTP_410_GONE)
        if found.state != Job.State.DONE:
            return Response(
                {"status": found.state, "percentage": found.progress}, status=status.HTTP_409_CONFLICT
            )
        return serve_private_file(
            request._request, found.file, filename=found.filename, content_type=found.content_type
        )


class EventExporterList(EventViewMixin, _ExporterList):
    """The exporters of the event that the caller may run, with their options."""

    url_prefix = "event-exporter"


class EventExporterRun(EventViewMixin, _ExporterRun):
    """Start an export of the event; the answer names the URL to fetch the file from."""

    url_prefix = "event-exporter"


class EventExportDownload(EventViewMixin, _ExportDownload):
    """The state of an export of the event, or its file."""

    url_prefix = "event-exporter"


class OrganizerExporterList(OrganizerViewMixin, _ExporterList):
    """The organizer-wide exporters the caller may run, with their options."""

    url_prefix = "organizer-exporter"


class OrganizerExporterRun(OrganizerViewMixin, _ExporterRun):
    """Start an export across the organizer's events."""

    url_prefix = "organizer-exporter"


class OrganizerExportDownload(OrganizerViewMixin, _ExportDownload):
    """The state of an organizer-wide export, or its file."""

    url_prefix = "organizer-exporter"
