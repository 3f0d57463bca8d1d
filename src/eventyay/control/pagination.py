"""Count-free paging for control panel lists, for core and plugin pages alike.

``page_of(queryset, request)`` reads ``?page=`` and fetches one page with LIMIT/OFFSET plus one
extra row that tells whether a next page exists, so a list of 100,000 orders never runs
``COUNT(*)``. Templates get ``page.rows``, ``page.number``, ``page.has_previous``,
``page.has_next``, ``page.previous_number`` and ``page.next_number``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


@dataclass
class Page:
    """One page of a list."""

    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_of(queryset: QuerySet, request: HttpRequest, size: int | None = None) -> Page:
    """The page of ``queryset`` that ``?page=`` asks for (bad values mean the first page)."""
    size = size or PAGE_SIZE
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)
