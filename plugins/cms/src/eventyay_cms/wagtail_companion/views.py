"""The companion's one endpoint: ``POST`` a signed JSON body whose ``action`` says what to do.

``{"action": "ping"}``
    Answers which parent page and page model the companion writes to.
``{"action": "find", "slug": ...}``
    The page with that slug under the parent (live or not), or 404.
``{"action": "state", "id": ...}``
    A page's ``last_published_at`` and newest revision, for the conflict check, or 404.
``{"action": "upsert", "id": null | ..., "slug": ..., "title": ..., "fields": {"body": ...}}``
    Creates or changes the page and publishes a new revision.
``{"action": "delete", "id": ...}``
    Unpublishes the page.

Every body may carry a ``nonce`` (any string) so that two equal requests within one second have
different signatures. Answers: 200 with the page, 400 naming the field, 403 for a missing,
wrong, stale or replayed signature, 404 for a page that is not one of ours.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eventyay_cms.wagtail_companion import pages
from eventyay_cms.wagtail_companion.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRejected,
    verify,
)

ACTIONS = ("ping", "find", "state", "upsert", "delete")


class BadRequest(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _string(data: dict[str, Any], name: str, *, limit: int = 255) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest({name: "A non-empty string is required."})
    if len(value) > limit:
        raise BadRequest({name: f"At most {limit} characters."})
    return value


def _number(data: dict[str, Any], name: str, *, optional: bool = False) -> int | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest({name: "A page id (a positive integer) is required."})
    return value


def _page_answer(page: Any) -> JsonResponse:
    if page is None:
        return JsonResponse({"error": "No such page under the companion's parent page."}, status=404)
    return JsonResponse(pages.describe(page))


def _handle(data: dict[str, Any]) -> JsonResponse:
    action = data.get("action")
    if action not in ACTIONS:
        raise BadRequest({"action": "One of: " + ", ".join(ACTIONS) + "."})
    if action == "ping":
        parent = pages.parent_page()
        return JsonResponse({"parent": parent.pk, "model": pages.page_model()._meta.label})
    if action == "find":
        return _page_answer(pages.page_find(_string(data, "slug")))
    if action == "state":
        return _page_answer(pages.page_get(_number(data, "id") or 0))
    if action == "delete":
        return _page_answer(pages.page_unpublish(_number(data, "id") or 0))
    fields = data.get("fields", {})
    if not isinstance(fields, dict):
        raise BadRequest({"fields": "An object of field values."})
    try:
        page = pages.page_upsert(
            number=_number(data, "id", optional=True),
            slug=_string(data, "slug"),
            title=_string(data, "title"),
            values=fields,
        )
    except ValidationError as exc:
        errors = getattr(exc, "message_dict", None) or {"fields": "; ".join(exc.messages)}
        raise BadRequest({name: "; ".join(messages) for name, messages in errors.items()}) from exc
    return _page_answer(page)


@csrf_exempt
@require_POST
def endpoint(request: HttpRequest) -> JsonResponse:
    try:
        verify(
            secret=getattr(settings, "EVENTYAY_COMPANION_SECRET", ""),
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            body=request.body,
            cache_alias=getattr(settings, "EVENTYAY_COMPANION_CACHE", "default"),
        )
    except SignatureRejected as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    try:
        data = json.loads(request.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return JsonResponse({"errors": {"body": "A JSON object is required."}}, status=400)
    try:
        return _handle(data)
    except BadRequest as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    except ImproperlyConfigured as exc:
        return JsonResponse({"error": str(exc)}, status=503)
