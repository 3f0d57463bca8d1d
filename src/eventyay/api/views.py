"""API root, the caller (``me``), installed plugins, and the schema and its interactive docs."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django_scopes import scopes_disabled
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, generics
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay import __version__
from eventyay.api.permissions import AuthenticatedPermission, is_oauth_token
from eventyay.api.serializers import MeSerializer, PluginSerializer
from eventyay.base.models import Organizer, TeamAPIToken, User
from eventyay.base.plugins.manager import broken_plugins, installed_plugins


def actor_of(request: Request) -> Any:
    """Who the audit log records for an API request: the token, OAuth token or user."""
    auth = request.auth
    if isinstance(auth, TeamAPIToken) or is_oauth_token(auth):
        return auth
    return request.user if getattr(request.user, "pk", None) else None


def is_instance_admin(request: Request) -> bool:
    """Instance administrators may switch on restricted plugins; team tokens never are one."""
    return not isinstance(request.auth, TeamAPIToken) and bool(getattr(request.user, "is_superuser", False))


@extend_schema(
    responses={
        200: {"type": "object", "properties": {"name": {"type": "string"}, "version": {"type": "string"}}}
    }
)
@api_view(["GET"])
@permission_classes([AllowAny])
def root(request: Request) -> Response:
    """Version information; needs no authentication."""
    return Response({"name": "eventyay", "version": __version__, "api_version": 1})


class MeView(generics.GenericAPIView):
    """The authenticated user, or for team tokens the token, its team and organizer."""

    permission_classes = [AuthenticatedPermission]
    #: OAuth tokens need the ``profile`` scope here rather than ``read``.
    permission = "profile"
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        auth = request.auth
        if isinstance(auth, TeamAPIToken):
            with scopes_disabled():
                team = auth.team
                data = {
                    "type": "token",
                    "token_name": auth.name,
                    "organizer": team.organizer.slug,
                    "team": team.name,
                    "permissions": sorted(team.permissions),
                }
            return Response(data)
        if is_oauth_token(auth) and "profile" not in getattr(auth, "scope", "").split():
            raise exceptions.PermissionDenied("This needs the “profile” scope.")
        user = cast(User, request.user)
        return Response(
            {"type": "user", "email": user.email, "fullname": user.fullname, "locale": user.locale}
        )


class PluginListView(generics.ListAPIView):
    """Installed plugins with their metadata and hooks; broken ones with ``compatible: false``."""

    permission_classes = [AuthenticatedPermission]
    serializer_class = PluginSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet | list[dict[str, Any]]:  # type: ignore[override]
        plugins = [info.as_dict() for info in installed_plugins().values()]
        for broken in broken_plugins():
            plugins.append(
                {
                    "name": broken.name,
                    "module": broken.module,
                    "compatible": False,
                    "error": broken.error,
                    "hooks": [],
                }
            )
        return sorted(plugins, key=lambda plugin: plugin["name"])


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of core and plugin routes; public, like the docs that read it."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar; its script is a separate file (no inline JS)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []
    url_name = "api:schema"


def organizers_for(request: Request) -> QuerySet[Organizer]:
    """The organizers the caller reaches: the token's, the OAuth-authorized ones, or the user's."""
    from eventyay.api.oauth import organizers_of

    auth = request.auth
    with scopes_disabled():
        if isinstance(auth, TeamAPIToken):
            return Organizer.objects.filter(pk=auth.team.organizer_id)
        organizers = organizers_of(request.user)
        if is_oauth_token(auth):
            organizers = organizers.filter(oauth_authorizations__access_tokens=auth)
        return organizers
