"""Core endpoints that belong to no area: health, public media files."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
