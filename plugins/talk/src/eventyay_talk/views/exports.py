"""Schedule exports: frozen per released version, CORS-open, with ETag/Last-Modified and 304s."""

from __future__ import annotations

import gzip
import hashlib
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from eventyay.base.models import Event
from eventyay.base.permissions import grant_for_user
from eventyay.base.services.cache import share_response
from eventyay.base.storage import private_storage
from eventyay_talk import selectors
from eventyay_talk.exporters import exporters_for, render_ics
from eventyay_talk.models import Schedule, ScheduleExport, SpeakerProfile, StarFeedToken
from eventyay_talk.views import public_event


def serve(
    request: HttpRequest,
    *,
    content: bytes,
    content_type: str,
    etag: str,
    last_modified: datetime | None,
    immutable: bool = False,
) -> HttpResponse:
    """Answer with the export or 304, open to every origin (schedule apps fetch cross-site)."""
    quoted = f'"{etag}"'
    timestamp = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=quoted, last_modified=timestamp)
    if response is None:
        response = HttpResponse(content, content_type=content_type)
    response["ETag"] = quoted
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    response["Cache-Control"] = "public, max-age=31536000, immutable" if immutable else "public, max-age=60"
    return response


def _stored_export(event: Event, schedule: Schedule, identifier: str) -> ScheduleExport:
    """A released version's stored export; formats added after the release are rendered once now."""
    exporter = next((e for e in exporters_for(event) if e.identifier == identifier), None)
    if exporter is None:
        raise Http404()
    content = exporter.render(selectors.schedule_export_data(schedule))
    if isinstance(content, str):
        content = content.encode()
    export, _created = ScheduleExport.objects.get_or_create(
        schedule=schedule,
        identifier=identifier,
        defaults={
            "content": content,
            "content_type": exporter.content_type,
            "etag": hashlib.sha256(content).hexdigest()[:32],
        },
    )
    return export


#: Where nginx sends stored exports from (an ``internal`` location, see deployment/nginx/).
EXPORTS_X_ACCEL_LOCATION = "/_exports/"
#: Folder of the stored export files in the private storage (the location's ``alias``).
EXPORTS_FOLDER = "talk/exports"


def export_file(export: ScheduleExport) -> str:
    """The export's name in the private storage, written (with a ``.gz`` twin) on first use.

    The name carries the export's ETag, so a file is never changed in place: nginx may send
    it, and its precompressed twin, while a new release writes new files.
    """
    name = f"{EXPORTS_FOLDER}/{export.schedule_id}/{export.etag}.{export.identifier}"
    path = Path(private_storage.path(name))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = bytes(export.content)
        # Written under a temporary name and renamed, so no reader ever sees half a file.
        for target, data in (
            (path.with_name(path.name + ".gz"), gzip.compress(content, mtime=0)),
            (path, content),
        ):
            temporary = target.with_name(f".{target.name}.{os.getpid()}")
            temporary.write_bytes(data)
            os.replace(temporary, target)
    return name


def _serve_export(request: HttpRequest, export: ScheduleExport, *, immutable: bool) -> HttpResponse:
    """The stored export; in production (``EVENTYAY_PRIVATE_X_ACCEL``) nginx sends the file.

    Conditional requests are answered here either way (a 304 needs no file); otherwise the
    answer carries the same ETag, CORS and caching headers, with an empty body and
    ``X-Accel-Redirect`` to the stored file, whose ``.gz`` twin nginx sends to clients that
    accept gzip (``gzip_static``).
    """
    if not settings.PRIVATE_X_ACCEL:
        return serve(
            request,
            content=bytes(export.content),
            content_type=export.content_type,
            etag=export.etag,
            last_modified=export.schedule.published,
            immutable=immutable,
        )
    response = serve(
        request,
        content=b"",
        content_type=export.content_type,
        etag=export.etag,
        last_modified=export.schedule.published,
        immutable=immutable,
    )
    if response.status_code == 200:
        name = export_file(export)
        response["X-Accel-Redirect"] = EXPORTS_X_ACCEL_LOCATION + quote(
            name.removeprefix(EXPORTS_FOLDER + "/")
        )
    return response


def export_latest(request: HttpRequest, organizer: str, event: str, identifier: str) -> HttpResponse:
    ev = public_event(request)
    export = selectors.latest_export(ev, identifier)
    if export is None:
        current = selectors.latest_schedule(ev)
        if current is None:
            raise Http404()
        export = _stored_export(ev, current, identifier)
        export.schedule = current
    # The same for every anonymous client until the next release bumps the content version:
    # the ASGI fast path answers repeat requests (and their gzip variant) without Django.
    share_response(request, ev)
    return _serve_export(request, export, immutable=False)


def export_version(
    request: HttpRequest, organizer: str, event: str, version: str, identifier: str
) -> HttpResponse:
    ev = public_event(request)
    if version == "wip":
        if not grant_for_user(request.user, ev.organizer).has_event_permission(ev, "event.schedule:write"):
            raise Http404()
        wip = selectors.schedule_by_version(ev, "wip")
        exporter = next((e for e in exporters_for(ev) if e.identifier == identifier), None)
        if wip is None or exporter is None:
            raise Http404()
        content = exporter.render(selectors.schedule_export_data(wip))
        content = content.encode() if isinstance(content, str) else content
        response = serve(
            request,
            content=content,
            content_type=exporter.content_type,
            etag=hashlib.sha256(content).hexdigest()[:32],
            last_modified=None,
        )
        response["Cache-Control"] = "private, no-store"
        return response
    if version == "latest":
        return export_latest(request, organizer, event, identifier)
    export = (
        ScheduleExport.objects.filter(schedule__event=ev, schedule__version=version, identifier=identifier)
        .select_related("schedule")
        .first()
    )
    if export is None:
        schedule = Schedule.objects.filter(event=ev, version=version).first()
        if schedule is None:
            raise Http404()
        export = _stored_export(ev, schedule, identifier)
    share_response(request, ev)
    return _serve_export(request, export, immutable=True)


def _live_ics(request: HttpRequest, event: Event, codes: list[str] | None, name: str) -> HttpResponse:
    current = selectors.latest_schedule(event)
    if current is None:
        raise Http404()
    data = selectors.schedule_export_data(current, codes=codes, calendar_name=name)
    if codes is not None and not data["talks"]:
        raise Http404()
    content = render_ics(data)
    return serve(
        request,
        content=content,
        content_type="text/calendar; charset=utf-8",
        etag=hashlib.sha256(content).hexdigest()[:32],
        last_modified=current.published,
    )


def talk_ics(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    ev = public_event(request)
    return _live_ics(request, ev, [code], "")


def speaker_ics(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    ev = public_event(request)
    profile = SpeakerProfile.objects.filter(event=ev, code=code).select_related("user").first()
    if profile is None:
        raise Http404()
    codes = list(profile.user.talk_submissions.filter(event=ev).values_list("code", flat=True))
    return _live_ics(request, ev, codes, f"{ev.name}: {profile.display_name}")


def starred_feed(request: HttpRequest, organizer: str, event: str, token: str) -> HttpResponse:
    """The personal feed: the secret token in the URL is the only credential calendar apps send."""
    ev = public_event(request)
    feed = StarFeedToken.objects.filter(event=ev, token=token).first()
    if feed is None:
        raise Http404()
    codes = list(feed.user.talk_stars.filter(event=ev).values_list("submission__code", flat=True))
    current = selectors.latest_schedule(ev)
    if current is None:
        raise Http404()
    content = render_ics(selectors.schedule_export_data(current, codes=codes, calendar_name=f"{ev.name} ☆"))
    response = serve(
        request,
        content=content,
        content_type="text/calendar; charset=utf-8",
        etag=hashlib.sha256(content).hexdigest()[:32],
        last_modified=None,
    )
    response["Cache-Control"] = "private, max-age=300"
    del response["Access-Control-Allow-Origin"]
    return response
