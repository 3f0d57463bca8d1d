"""Control panel pages of the server pools: one *Video servers* page with the BigBlueButton,
streaming and Janus servers, a page per server, room streams, recordings.

Servers belong to the organizer (one pool for all its events), so changing them takes the
organizer permission ``organizer.settings:write`` besides the event's video permission; the
pages are reached from any event's online section.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.permissions import grant_for_user
from eventyay.base.secrets import SecretError
from eventyay_video import bbb, janus, streaming
from eventyay_video.forms import BBBServerForm, JanusServerForm, RoomStreamForm, StreamingServerForm
from eventyay_video.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_video.models import BBBServer, JanusServer, Room, RoomStream, StreamingServer
from eventyay_video.views import _form_errors, _kwargs, _render, team_permission

SERVER_PERMISSION = "organizer.settings:write"


def _require_server_permission(request: HttpRequest, event: Event) -> None:
    if not grant_for_user(request.user, event.organizer).has_organizer_permission(SERVER_PERMISSION):
        raise PermissionDenied()


def _servers_url(event: Event, section: str = "") -> str:
    url = reverse(
        "plugins:video:control.servers", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )
    return f"{url}#{section}" if section else url


def _janus_save(
    request: HttpRequest, event: Event, form: JanusServerForm, server: JanusServer | None
) -> bool:
    if not form.is_valid():
        return False
    try:
        janus.janus_server_save(
            organizer=event.organizer, server=server, actor=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        _form_errors(form, exc)
        return False
    return True


@team_permission(WRITE_PERMISSION)
def servers(request: HttpRequest, event: Event) -> HttpResponse:
    """The organizer's video servers: BigBlueButton, streaming and Janus, each listed with a form
    to add one."""
    _require_server_permission(request, event)
    posted = request.POST if request.method == "POST" else None
    bbb_form = BBBServerForm(posted if posted and "bbb-url" in posted else None, prefix="bbb")
    stream_form = StreamingServerForm(posted if posted and "stream-name" in posted else None, prefix="stream")
    janus_form = JanusServerForm(posted if posted and "janus-url" in posted else None, prefix="janus")
    if bbb_form.is_bound and bbb_form.is_valid():
        try:
            bbb.bbb_server_save(
                organizer=event.organizer,
                data={**bbb_form.cleaned_data, "secret": bbb_form.cleaned_data.get("secret")},
                actor=request.user,
            )
        except ValidationError as exc:
            _form_errors(bbb_form, exc)
        else:
            messages.success(request, _("The server has been added."))
            return redirect(_servers_url(event, "bbb"))
    if stream_form.is_bound and stream_form.is_valid():
        try:
            streaming.streaming_server_save(
                organizer=event.organizer, data=stream_form.cleaned_data, actor=request.user
            )
        except ValidationError as exc:
            _form_errors(stream_form, exc)
        else:
            messages.success(request, _("The server has been added."))
            return redirect(_servers_url(event, "streaming"))
    if janus_form.is_bound and _janus_save(request, event, janus_form, None):
        messages.success(request, _("The Janus server has been added."))
        return redirect(_servers_url(event, "janus"))
    return _render(
        request,
        event,
        "servers.html",
        {
            "bbb_form": bbb_form,
            "stream_form": stream_form,
            "janus_form": janus_form,
            "bbb_servers": BBBServer.objects.filter(organizer=event.organizer),
            "streaming_servers": StreamingServer.objects.filter(organizer=event.organizer),
            "janus_servers": JanusServer.objects.filter(organizer=event.organizer).annotate(
                open_calls=Count("calls", filter=Q(calls__ended__isnull=True))
            ),
        },
    )


@team_permission(WRITE_PERMISSION)
def bbb_server(request: HttpRequest, event: Event, server: int) -> HttpResponse:
    _require_server_permission(request, event)
    the_server = get_object_or_404(BBBServer, organizer=event.organizer, pk=server)
    if request.method == "POST" and "delete" in request.POST:
        bbb.bbb_server_delete(server=the_server, actor=request.user)
        messages.success(request, _("The server has been removed."))
        return redirect(_servers_url(event, "bbb"))
    form = BBBServerForm(request.POST or None, instance=the_server, prefix="bbb")
    if request.method == "POST" and form.is_valid():
        try:
            bbb.bbb_server_save(
                organizer=event.organizer, server=the_server, data=form.cleaned_data, actor=request.user
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect(_servers_url(event, "bbb"))
    return _render(
        request, event, "server.html", {"form": form, "server": the_server, "title": the_server.url}
    )


@team_permission(WRITE_PERMISSION)
def streaming_server(request: HttpRequest, event: Event, server: int) -> HttpResponse:
    _require_server_permission(request, event)
    the_server = get_object_or_404(StreamingServer, organizer=event.organizer, pk=server)
    form = StreamingServerForm(request.POST or None, instance=the_server, prefix="stream")
    if request.method == "POST" and "delete" in request.POST:
        try:
            streaming.streaming_server_delete(server=the_server, actor=request.user)
        except ValidationError as exc:
            form = StreamingServerForm(instance=the_server, prefix="stream")
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The server has been removed."))
            return redirect(_servers_url(event, "streaming"))
    elif request.method == "POST" and form.is_valid():
        try:
            streaming.streaming_server_save(
                organizer=event.organizer, server=the_server, data=form.cleaned_data, actor=request.user
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect(_servers_url(event, "streaming"))
    return _render(
        request, event, "server.html", {"form": form, "server": the_server, "title": the_server.name}
    )


@team_permission(WRITE_PERMISSION)
def janus_server(request: HttpRequest, event: Event, server: int) -> HttpResponse:
    _require_server_permission(request, event)
    the_server = get_object_or_404(JanusServer, organizer=event.organizer, pk=server)
    if request.method == "POST" and "delete" in request.POST:
        janus.janus_server_delete(server=the_server, actor=request.user)
        messages.success(request, _("The Janus server has been removed."))
        return redirect(_servers_url(event, "janus"))
    form = JanusServerForm(request.POST or None, prefix="janus", server=the_server)
    if request.method == "POST" and _janus_save(request, event, form, the_server):
        messages.success(request, _("Your changes have been saved."))
        return redirect(_servers_url(event, "janus"))
    return _render(
        request, event, "server.html", {"form": form, "server": the_server, "title": the_server.url}
    )


@team_permission(WRITE_PERMISSION)
def janus_servers_moved(request: HttpRequest, event: Event) -> HttpResponse:
    """The former Janus page: its servers are a section of the video servers page now."""
    return HttpResponsePermanentRedirect(_servers_url(event, "janus"))


@team_permission(WRITE_PERMISSION)
def janus_server_moved(request: HttpRequest, event: Event, server: int) -> HttpResponse:
    """A Janus server's former page (and its former delete address): the server's page now."""
    return HttpResponsePermanentRedirect(
        reverse("plugins:video:control.servers.janus", kwargs={**_kwargs(event), "server": server})
    )


@team_permission(WRITE_PERMISSION)
def room_stream(request: HttpRequest, event: Event, room: int) -> HttpResponse:
    """The room's stream: server, fallback, and the ingest URL with its key (rotated here)."""
    the_room = get_object_or_404(Room, event=event, pk=room)
    stream = RoomStream.objects.filter(room=the_room).select_related("server").first()
    initial = {"server": stream.server, "fallback_url": stream.fallback_url} if stream else None
    form = RoomStreamForm(
        request.POST or None if "save" in request.POST else None, organizer=event.organizer, initial=initial
    )
    if request.method == "POST" and "rotate" in request.POST:
        if stream is None:
            messages.error(request, _("Choose a streaming server first."))
        else:
            streaming.stream_key_rotate(stream=stream, actor=request.user)
            messages.success(request, _("The stream key has been replaced; update your encoder."))
        return redirect("plugins:video:control.room.stream", room=the_room.pk, **_kwargs(event))
    if request.method == "POST" and form.is_valid():
        try:
            streaming.room_stream_save(
                room=the_room,
                server=form.cleaned_data["server"],
                fallback_url=form.cleaned_data["fallback_url"] or "",
                actor=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("plugins:video:control.room.stream", room=the_room.pk, **_kwargs(event))
    context = {"room": the_room, "form": form, "stream": stream}
    if stream is not None:
        context["playback_url"] = streaming.playback_url(stream)
        try:
            context["ingest_url"] = streaming.ingest_url(stream)
        except SecretError:
            # The key was written with encryption keys this instance no longer has.
            messages.error(request, _("The stream key cannot be read; replace it."))
    return _render(request, event, "room_stream.html", context)


@team_permission(READ_PERMISSION, WRITE_PERMISSION)
def recordings(request: HttpRequest, event: Event) -> HttpResponse:
    found, errors = bbb.recordings_list(event=event)
    return _render(request, event, "recordings.html", {"recordings": found, "errors": errors})
