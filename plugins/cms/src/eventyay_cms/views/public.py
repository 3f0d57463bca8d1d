from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from eventyay.base.permissions import grant_for_user
from eventyay.base.services.cache import cache_public_page
from eventyay_cms.models import PulledPage


@cache_public_page
def page(request: HttpRequest, organizer: str, event: str, slug: str) -> HttpResponse:
    """A pulled page; its HTML was sanitised when it was stored."""
    ev = request.event  # type: ignore[attr-defined]
    if not ev.live and not grant_for_user(request.user, ev.organizer).can_see_event(ev):
        raise Http404()
    pulled = PulledPage.objects.filter(event=ev, slug=slug, published=True).first()
    if pulled is None:
        raise Http404()
    return render(
        request,
        "eventyay_cms/public/page.html",
        {"event": ev, "page": pulled, "body": mark_safe(pulled.html)},
    )
