"""Old pretalx links (``/<event>/talk/<CODE>/``, ``/<event>/speaker/<CODE>/``) lead to the same page here.

An event imported from pretalx keeps its talk and speaker codes, so once the old pretalx host
points at this installation (or a web server forwards its paths here), links in mails, slides
and recordings keep working. The path names the pretalx event but no organizer, so the import
is looked up across organizers: one imported from a pretalx host of the request's host name
wins, then the most recent import that knows the code. Only live events are redirected to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from eventyay_talk.models import SpeakerProfile, Submission, TalkImport, TalkImportRecord


def _destination(request: HttpRequest, source_event: str, kind: str, code: str) -> str:
    # The address names no organizer: the candidate imports are found across all of them, and
    # only a live event's page (which checks its own visibility again) is revealed.
    with scopes_disabled():
        imports = list(
            TalkImport.objects.filter(
                source_kind=TalkImport.SourceKind.PRETALX, source_event=source_event, event__live=True
            )
            .select_related("event__organizer")
            .order_by("-last_run", "-pk")
        )
    host = request.get_host().split(":")[0].lower()
    imports.sort(key=lambda found: urlsplit(found.source_url).hostname != host)
    for found in imports:
        event = found.event
        with scope(organizer=event.organizer):
            if not event.has_plugin("talk"):
                continue
            object_id = (
                TalkImportRecord.objects.filter(talk_import=found, kind=kind, source_id=code)
                .values_list("object_id", flat=True)
                .first()
            )
            if object_id is None:
                continue
            model = Submission if kind == "submission" else SpeakerProfile
            target_code = (
                model.objects.filter(pk=object_id, event=event).values_list("code", flat=True).first()
            )
            if target_code is None:
                continue
            name = "plugins:talk:talk" if kind == "submission" else "plugins:talk:speaker"
            return reverse(
                name, kwargs={"organizer": event.organizer.slug, "event": event.slug, "code": target_code}
            )
    raise Http404()


def talk(request: HttpRequest, source_event: str, code: str) -> HttpResponse:
    return HttpResponsePermanentRedirect(_destination(request, source_event, "submission", code))


def speaker(request: HttpRequest, source_event: str, code: str) -> HttpResponse:
    return HttpResponsePermanentRedirect(_destination(request, source_event, "speaker", code))
