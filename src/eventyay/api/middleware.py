"""API conventions every route under ``/api/`` shares, plugins' included.

Errors outside the views (no matching URL, a crash) are answered as JSON ``{"detail": ...}``
like the views' own errors.

``X-Idempotency-Key`` for API writes: a repeated request is answered from storage. A
middleware rather than a view mixin, so every route under ``/api/v1/`` gets the same behaviour. The key is scoped to the caller's credentials. A repeat with the same
method, path and body gets the stored answer and changes nothing; the same key with another
request is HTTP 409, as is a repeat while the first request is still running. Answers 401,
429 and 5xx are not stored, so the client can simply try again.

The first request holds its key for a short lease (``settings.API_IDEMPOTENCY_LEASE_SECONDS``,
longer than any request may run): if its worker died, the key stays "in progress" only until
then, and a retry with the same request takes it over instead of getting 409 for a day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from eventyay.api.models import IdempotencyKey

HEADER = "X-Idempotency-Key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NOT_STORED = frozenset({401, 429})
KEEP_FOR = timedelta(days=1)


def _lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "API_IDEMPOTENCY_LEASE_SECONDS", 120)))


def _actor(request: HttpRequest) -> str | None:
    authorization = request.headers.get("Authorization")
    if authorization:
        return hashlib.sha256(authorization.encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return hashlib.sha256(f"user:{user.pk}".encode()).hexdigest()
    return None


JSON_ERRORS = {400: "Bad request.", 404: "Not found.", 500: "A server error occurred."}


def _json_errors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Django's HTML error pages become ``{"detail": ...}`` under ``/api/``."""
    if (
        response.status_code in JSON_ERRORS
        and request.path.startswith("/api/")
        and not response.get("Content-Type", "").startswith("application/json")
    ):
        return JsonResponse({"detail": JSON_ERRORS[response.status_code]}, status=response.status_code)
    return response


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return _json_errors(request, self._idempotent(request))

    def _idempotent(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            not key
            or request.method not in WRITE_METHODS
            or not request.path.startswith("/api/v1/")
            or request.path.startswith("/api/v1/oauth/")
        ):
            return self.get_response(request)
        if len(key) > 190:
            return JsonResponse({"detail": f"{HEADER} may have at most 190 characters."}, status=400)
        actor = _actor(request)
        if actor is None:
            return self.get_response(request)
        try:
            body = request.body
        except RequestDataTooBig:
            # Raised here, outside the view, it would become Django's HTML page.
            return JsonResponse({"detail": "The request body is too large."}, status=400)
        digest = hashlib.sha256()
        digest.update(f"{request.method}\n{request.get_full_path()}\n".encode())
        digest.update(body)
        request_hash = digest.hexdigest()
        # Keys are kept for a day: long enough for any client's retries.
        IdempotencyKey.objects.filter(actor=actor, created__lt=timezone.now() - KEEP_FOR).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    actor=actor, key=key, request_hash=request_hash, lease_until=timezone.now() + _lease()
                )
        except IntegrityError:
            return self._repeat(actor=actor, key=key, request_hash=request_hash, request=request)
        return self._run(record_pk=record.pk, request=request)

    def _run(self, *, record_pk: int, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500 or response.status_code in NOT_STORED or response.streaming:
            IdempotencyKey.objects.filter(pk=record_pk).delete()
            return response
        IdempotencyKey.objects.filter(pk=record_pk).update(
            response_status=response.status_code,
            response_body=bytes(response.content),
            response_content_type=response.get("Content-Type", ""),
            lease_until=None,
        )
        return response

    def _repeat(self, *, actor: str, key: str, request_hash: str, request: HttpRequest) -> HttpResponse:
        record = IdempotencyKey.objects.filter(actor=actor, key=key).first()
        if record is None:
            return self.get_response(request)
        if record.request_hash != request_hash:
            return JsonResponse(
                {"detail": f"This {HEADER} was already used for a different request."}, status=409
            )
        if record.response_status is None:
            now = timezone.now()
            lapsed = Q(lease_until__lt=now) | Q(lease_until=None, created__lt=now - _lease())
            # One conditional update: of several retries after the lease ran out, one takes over.
            if IdempotencyKey.objects.filter(lapsed, pk=record.pk, response_status=None).update(
                lease_until=now + _lease()
            ):
                return self._run(record_pk=record.pk, request=request)
            busy = JsonResponse(
                {"detail": f"A request with this {HEADER} is still being processed."}, status=409
            )
            busy["Retry-After"] = "1"
            return busy
        response = HttpResponse(
            bytes(record.response_body),
            status=record.response_status,
            content_type=record.response_content_type or "application/json",
        )
        response["X-Idempotency-Replayed"] = "true"
        return response
