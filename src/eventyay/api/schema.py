"""OpenAPI schema tweaks: only ``/api/v1/`` routes, core and plugins', belong in the schema."""

from __future__ import annotations

from typing import Any, Literal

from django.apps import apps
from django_scopes import scopes_disabled
from drf_spectacular.generators import SchemaGenerator as _SchemaGenerator
from drf_spectacular.openapi import AutoSchema as _AutoSchema

from eventyay.base.plugins.config import PluginConfig


class SchemaGenerator(_SchemaGenerator):
    """Generates the schema with scopes disabled.

    The generator inspects each view's queryset to type path parameters; event-scoped managers
    refuse even to build a query outside a scope. Nothing is read from the database here, so the
    schema view, the ``spectacular`` command and the docs build all generate it this way.
    """

    def get_schema(self, request: Any = None, public: bool = False) -> Any:
        with scopes_disabled():
            return super().get_schema(request=request, public=public)


class AutoSchema(_AutoSchema):
    """Names each plugin's schema components after the plugin.

    Plugins are written independently, so two of them (or a plugin and the core) may well both
    have a ``RoomSerializer``; drf-spectacular would then emit one ``Room`` component for two
    different shapes. A serializer that belongs to a plugin app is named with the plugin's name in
    front (``TalkRoom``, ``VideoRoom``); the core's keep their plain names. An explicit
    ``@extend_schema_serializer(component_name=...)`` is left as it is.
    """

    def get_serializer_name(self, serializer: Any, direction: Literal["request", "response"]) -> str:
        name = super().get_serializer_name(serializer, direction)
        app = apps.get_containing_app_config(type(serializer).__module__)
        if not isinstance(app, PluginConfig) or not app.plugin_name:
            return name
        prefix = "".join(part.capitalize() for part in app.plugin_name.replace("-", "_").split("_"))
        return name if name.startswith(prefix) else prefix + name


def only_api_paths(endpoints: list[tuple[str, Any, str, Any]]) -> list[tuple[str, Any, str, Any]]:
    """drf-spectacular preprocessing hook dropping everything outside the API and the OAuth endpoints."""
    return [
        endpoint
        for endpoint in endpoints
        if endpoint[0].startswith("/api/v1/")
        and not endpoint[0].startswith(("/api/v1/oauth/", "/api/v1/schema/", "/api/v1/docs/"))
    ]


ERROR_RESPONSES = {
    "400": ("Validation error: field name → list of messages.", "ValidationError"),
    "401": ("No or invalid credentials.", "Error"),
    "403": ("Authenticated, but not allowed.", "Error"),
    "404": ("Not found, or not visible to the caller.", "Error"),
    "409": ("The X-Idempotency-Key was used for another request, or is still being processed.", "Error"),
    "415": ("The body has no Content-Type, or one the operation does not read.", "Error"),
    "429": ("Rate limit exceeded; see the Retry-After header.", "Error"),
}


def error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook documenting the error answers every operation can give."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    }
    schemas["ValidationError"] = {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {}},
                {"type": "object"},
                {"type": "string"},
            ]
        },
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in ERROR_RESPONSES.items():
                if code == "409" and method not in ("post", "put", "patch", "delete"):
                    continue
                if code == "415" and method not in ("post", "put", "patch"):
                    continue
                if code == "401" and path == "/api/v1/":
                    continue
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                        },
                    },
                )
    return result
