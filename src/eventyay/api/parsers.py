"""Request body parsers of the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ValidationError


def _nul_path(data: Any, path: str = "") -> str | None:
    """The dotted path of the first key or text holding a NUL character, None if there is none."""
    if isinstance(data, str):
        return (path or "non_field_errors") if "\x00" in data else None
    if isinstance(data, Mapping):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return path or "non_field_errors"
            if (found := _nul_path(value, here)) is not None:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if (found := _nul_path(value, f"{path}.{index}" if path else str(index))) is not None:
                return found
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing NUL characters anywhere in the body with a 400 naming where.

    PostgreSQL stores no NUL character in a text or a ``jsonb`` value; DRF's ``CharField``
    refuses it, but JSON-valued fields (custom fields, filters, answers, translated texts) take
    any text, and the database's error would be a 500.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        path = _nul_path(data)
        if path is not None:
            raise ValidationError({path: ["Null characters are not allowed."]})
        return data
