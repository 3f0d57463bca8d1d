from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eventyay_cms.connectors.base import WebhookRejected
from eventyay_cms.models import Connection
from eventyay_cms.services.webhooks import webhook_receive

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, organizer: str, event: str, connection: str) -> HttpResponse:
    """A CMS says an object changed: 202 and a pull of that object, 400 when not signed right."""
    found = Connection.objects.filter(event=request.event, uuid=connection).first()  # type: ignore[attr-defined]
    if found is None:
        raise Http404()
    try:
        external_id = webhook_receive(found, request)
    except WebhookRejected as exc:
        logger.info("CMS webhook for connection %s refused: %s", found.pk, exc)
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse({"queued": external_id}, status=202)
