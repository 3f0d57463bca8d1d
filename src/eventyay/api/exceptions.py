from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from eventyay.base.overload import RETRY_AFTER, busy_message, database_busy, log_pool_figures

#: Django's limits on a request body (``DATA_UPLOAD_MAX_*``), met while a parser reads it.
BODY_LIMITS = {
    RequestDataTooBig: "The request body is too large.",
    TooManyFieldsSent: "The request body has too many fields.",
    TooManyFilesSent: "The request body has too many files.",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django ``ValidationError`` from services as HTTP 400 by field, a
    body over Django's limits as a JSON 400 (Django itself would answer with an HTML page), and
    a database connection pool that ran dry as 503 with ``Retry-After`` (``eventyay.base.overload``)."""
    if database_busy(exc):
        log_pool_figures()
        return Response({"detail": busy_message()}, status=503, headers={"Retry-After": str(RETRY_AFTER)})
    for limit, message in BODY_LIMITS.items():
        if isinstance(exc, limit):
            exc = exceptions.ParseError(message)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    return drf_exception_handler(exc, context)
