"""OpenAPI schema tweaks: only ``/api/v1/`` routes, core and plugins', belong in the schema."""

from __future__ import annotations

from typing import Any


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
