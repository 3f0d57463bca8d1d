"""Check API answers against the OpenAPI document the API publishes, in core and plugin tests.

The document is OpenAPI 3.0, whose ``nullable`` is no JSON Schema keyword; it is rewritten into
``anyOf [..., null]`` so that ``jsonschema`` (a dependency of drf-spectacular) can judge answers.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator


def json_schema(node: Any) -> Any:
    """``node`` with every OpenAPI ``nullable: true`` turned into an ``anyOf`` that admits null."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    # A property may be called "nullable"; only the boolean keyword is OpenAPI's.
    converted = {
        key: json_schema(value)
        for key, value in node.items()
        if not (key == "nullable" and isinstance(value, bool))
    }
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_answer_documented(document: dict[str, Any], response: Any, *, path: str, method: str) -> None:
    """Fail unless ``response`` has a status code, content type and body that ``document`` promises
    for ``method`` on ``path`` (the path as the schema writes it, e.g. ``.../rooms/{id}/``).
    """
    operation = document["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{status} is not documented for {method} {path}"
    content = operation["responses"][status].get("content")
    if not content:
        assert not response.content, f"{method} {path} documents no body for {status}"
        return
    media_type = response["Content-Type"].split(";")[0].strip()
    assert media_type in content, f"{media_type} is not documented for {status} of {method} {path}"
    if media_type != "application/json":
        return
    schema = {**json_schema(content[media_type]["schema"]), "components": json_schema(document["components"])}
    Draft202012Validator(schema).validate(response.json())
