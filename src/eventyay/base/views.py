"""Core endpoints that belong to no area: health, public media files, the server error page."""

from __future__ import annotations

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template import loader
from django.views import defaults, static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eventyay.base.overload import RETRY_AFTER, busy_message, database_busy, log_pool_figures
from eventyay.base.selectors.health import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """A file of the public storage, for installations without a web server in front.

    In production nginx answers ``/media/`` from the same directory before the request gets
    here. Only ``MEDIA_ROOT`` is served: private files live outside it and stay 404.
    """
    response = static.serve(request, path, document_root=str(settings.MEDIA_ROOT))
    # Uploaded files never run as a page of this site, whatever their content claims to be.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page, except for a busy database: 503 with ``Retry-After`` (JSON for the API).

    Like Django's own, it renders without a request context, a database or a cache.
    """
    if not database_busy(sys.exc_info()[1]):
        return defaults.server_error(request)
    log_pool_figures()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": busy_message()}, status=503)
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
