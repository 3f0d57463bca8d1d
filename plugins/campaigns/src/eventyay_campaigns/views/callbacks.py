"""Endpoints that providers and other systems call: Twilio's delivery reports, the inbound webhook.

Neither has a session or a CSRF token; each request proves itself by its signature.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eventyay_campaigns.channels_sms import twilio_signature_valid, twilio_status_record
from eventyay_campaigns.services import inbound


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest, organizer: str) -> HttpResponse:
    """Twilio's status callback; 403 unless ``X-Twilio-Signature`` matches the organizer's token."""
    org = request.organizer  # type: ignore[attr-defined]
    # Twilio signs the URL it was given, which is built from SITE_URL (not the proxy's view).
    url = settings.SITE_URL + request.get_full_path()
    params = {key: request.POST.get(key, "") for key in request.POST}
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio_signature_valid(organizer=org, url=url, params=params, signature=signature):
        return HttpResponse("invalid signature", status=403, content_type="text/plain")
    twilio_status_record(organizer=org, params=params)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def inbound_webhook(request: HttpRequest, key: str) -> HttpResponse:
    result = inbound.inbound_receive(
        key=key,
        timestamp=request.headers.get(inbound.TIMESTAMP_HEADER, ""),
        signature=request.headers.get(inbound.SIGNATURE_HEADER, ""),
        body=request.body,
    )
    return JsonResponse(result.body, status=result.status)
