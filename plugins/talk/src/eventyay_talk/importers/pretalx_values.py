"""Reading pretalx's values: translated texts, moments, availabilities."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_datetime


def i18n(value: Any) -> dict[str, str] | str:
    """pretalx texts are ``{"en": …}`` objects or plain strings; ours take either."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v}
    return "" if value is None else str(value)


def plain(value: Any, locale: str = "en") -> str:
    """One language of a pretalx text, for fields of ours that are not translated."""
    if isinstance(value, dict):
        return str(value.get(locale) or next((v for v in value.values() if v), ""))
    return "" if value is None else str(value)


def moment(value: Any) -> dt.datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def availabilities(value: Any) -> list[dict[str, str]]:
    """pretalx's ``[{"start", "end", "allDay"}]`` as ours: ISO start and end only."""
    result = []
    for item in value or []:
        start, end = moment(item.get("start")), moment(item.get("end"))
        if start and end and start < end:
            result.append({"start": start.isoformat(), "end": end.isoformat()})
    return result
