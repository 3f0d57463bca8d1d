"""Public URLs in campaign messages: tracked links, the open pixel and unsubscribing.

They name no organizer and need no login or cookie: the signed token is the only key. The
one-click unsubscribe ``POST`` (RFC 8058) comes from mail providers without a session or a
CSRF token, so it is exempt from CSRF checks; it changes nothing but the recipient's own
subscription, which the token proves they received. ``GET`` never changes anything, because
mail scanners follow every link of a message.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from eventyay_campaigns.services import tracking

#: A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


@never_cache
@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = tracking.click_record(token, user_agent=_user_agent(request), method=request.method or "GET")
    except tracking.InvalidToken:
        raise Http404() from None
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    try:
        tracking.open_record(token, user_agent=_user_agent(request), method=request.method or "GET")
    except tracking.InvalidToken:
        raise Http404() from None
    return HttpResponse(PIXEL, content_type="image/gif")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        message = tracking.unsubscribe_message(token)
    except tracking.InvalidToken:
        raise Http404() from None
    if request.method == "POST":
        # The one-click body is ``List-Unsubscribe=One-Click``; the page's button posts
        # ``confirm``. Either way the token alone decides.
        source = "one-click" if "List-Unsubscribe" in request.POST else "page"
        tracking.message_unsubscribe(message, source=source)
        done = True
    else:
        done = tracking.is_unsubscribed(message)
    context = {"organizer": message.organizer, "done": done, "recipient": message.recipient}
    response = render(request, "eventyay_campaigns/public/unsubscribe.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
