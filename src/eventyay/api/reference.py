"""The API reference as reStructuredText, rendered from the OpenAPI schema when imported.

The documentation includes it with ``.. automodule:: eventyay.api.reference``, so the reference
in ``doc/`` is generated at build time from the same schema ``/api/v1/schema/`` serves (core
and every installed plugin), offline. Importing it needs Django set up.
"""

from __future__ import annotations

import json
import re
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")
_SPECIAL = re.compile(r"([\\*`|_\[\]])")


def _text(value: str) -> str:
    """Plain text safe for reStructuredText (no accidental markup)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return f"list of {_schema_name(schema['items'])}"
    return str(schema.get("type", "object"))


def _literal(lines: list[str], data: Any) -> None:
    lines.append("::")
    lines.append("")
    for line in json.dumps(data, indent=2, sort_keys=True).splitlines():
        lines.append("    " + line)
    lines.append("")


def render_reference(schema: dict[str, Any]) -> str:
    """Every operation (method, path, parameters, request and answers) and every component."""
    lines: list[str] = []
    for path, operations in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            title = f"{method.upper()} {path}"
            lines += [title, "-" * len(title), ""]
            if operation.get("description"):
                lines += [_text(operation["description"]), ""]
            parameters = operation.get("parameters", [])
            if parameters:
                lines += ["Parameters:", ""]
                for parameter in parameters:
                    kind = _schema_name(parameter.get("schema", {}))
                    description = _text(parameter.get("description", ""))
                    lines.append(
                        f"- ``{parameter['name']}`` ({parameter.get('in')}, {kind})"
                        + (" " + description if description else "")
                    )
                lines.append("")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                lines += [f"Request body: ``{_schema_name(body.get('schema', {}))}``", ""]
            lines += ["Answers:", ""]
            for code, response in sorted(operation.get("responses", {}).items()):
                content = response.get("content", {}).get("application/json")
                kind = f" ``{_schema_name(content.get('schema', {}))}``" if content else ""
                lines.append(f"- {code}{kind}: {_text(response.get('description', ''))}")
            lines.append("")
    components = schema.get("components", {}).get("schemas", {})
    if components:
        lines += ["Schemas", "-------", ""]
        for name, component in sorted(components.items()):
            lines += [name, "~" * len(name), ""]
            _literal(lines, component)
    return "\n".join(lines)


def _generate() -> dict[str, Any]:
    from eventyay.api.schema import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


__doc__ = render_reference(_generate())
