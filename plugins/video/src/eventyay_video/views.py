"""Control panel pages (rooms, moderation, announcements, reports) and the attendee page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypedDict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import Event
from eventyay.base.permissions import grant_for_user
from eventyay.base.services.login import login_redirect
from eventyay.control.permissions import two_factor_setup_redirect
from eventyay_video import janus, selectors, services
from eventyay_video.access import team_member_token
from eventyay_video.forms import (
    AnnouncementForm,
    ModeratorForm,
    ModuleForm,
    RestrictionForm,
    RoomForm,
    SettingsForm,
    TokenRevokeForm,
)
from eventyay_video.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_video.models import (
    Announcement,
    ChatMessage,
    Moderator,
    Module,
    Poll,
    Question,
    Restriction,
    Room,
)
from eventyay_video.tokens import join_url

View = Callable[..., HttpResponse]


def team_permission(*permissions: str) -> Callable[[View], View]:
    """Members who cannot see the event get 404; those without any of ``permissions`` 403.

    Like the core's control decorators: visitors who are not logged in (or owe their second
    factor) go to the login, members of an organizer requiring 2FA without it to its set-up.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, organizer: str, event: str, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return login_redirect(request)
            the_event: Event = request.event  # type: ignore[attr-defined]
            grant = grant_for_user(request.user, the_event.organizer)
            if not grant.can_see_event(the_event):
                raise Http404()
            setup = two_factor_setup_redirect(request, the_event.organizer)
            if setup is not None:
                return setup
            if not any(grant.has_event_permission(the_event, p) for p in permissions):
                raise PermissionDenied()
            request.video_may_write = grant.has_event_permission(the_event, WRITE_PERMISSION)  # type: ignore[attr-defined]
            return view(request, the_event, **kwargs)

        return wrapper

    return decorator


def _form_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class EventUrlKwargs(TypedDict):
    """URL kwargs of an event page; a TypedDict so ``redirect(**kwargs)`` keeps its keyword types."""

    organizer: str
    event: str


def _kwargs(event: Event) -> EventUrlKwargs:
    return {"organizer": event.organizer.slug, "event": event.slug}


def _render(request: HttpRequest, event: Event, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"eventyay_video/control/{template}", {"event": event, **context})


@team_permission(WRITE_PERMISSION)
def rooms(request: HttpRequest, event: Event) -> HttpResponse:
    form = RoomForm(request.POST or None, prefix="room")
    settings_form = SettingsForm(
        request.POST or None,
        prefix="settings",
        initial={"allow_pending": event.settings.get("video_allow_pending")},
    )
    if request.method == "POST" and "settings-save" in request.POST:
        if settings_form.is_valid():
            services.video_settings_update(
                event=event, allow_pending=settings_form.cleaned_data["allow_pending"], actor=request.user
            )
            messages.success(request, _("Your changes have been saved."))
            return redirect("plugins:video:control.rooms", **_kwargs(event))
    elif request.method == "POST" and form.is_valid():
        try:
            room = services.room_save(event=event, data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The room has been created."))
            return redirect("plugins:video:control.room", room=room.pk, **_kwargs(event))
    room_list = Room.objects.filter(event=event).annotate(module_count=Count("modules"))
    return _render(
        request, event, "rooms.html", {"form": form, "settings_form": settings_form, "rooms": room_list}
    )


@team_permission(WRITE_PERMISSION)
def room_detail(request: HttpRequest, event: Event, room: int) -> HttpResponse:
    the_room = get_object_or_404(Room, event=event, pk=room)
    form = RoomForm(request.POST or None, instance=the_room, prefix="room")
    module_form = ModuleForm(request.POST or None, prefix="module")
    if request.method == "POST":
        if "module-kind" in request.POST:
            if module_form.is_valid():
                try:
                    services.module_save(
                        room=the_room,
                        kind=module_form.cleaned_data["kind"],
                        config=module_form.config(),
                        order=module_form.cleaned_data["order"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    _form_errors(module_form, exc)
                else:
                    messages.success(request, _("The module has been added."))
                    return redirect("plugins:video:control.room", room=the_room.pk, **_kwargs(event))
            form = RoomForm(instance=the_room, prefix="room")
        else:
            module_form = ModuleForm(prefix="module")
            if form.is_valid():
                try:
                    services.room_save(event=event, room=the_room, data=form.cleaned_data, actor=request.user)
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("Your changes have been saved."))
                    return redirect("plugins:video:control.room", room=the_room.pk, **_kwargs(event))
    return _render(
        request,
        event,
        "room.html",
        {"room": the_room, "form": form, "module_form": module_form, "modules": the_room.modules.all()},
    )


@require_POST
@team_permission(WRITE_PERMISSION)
def room_delete(request: HttpRequest, event: Event, room: int) -> HttpResponse:
    services.room_delete(room=get_object_or_404(Room, event=event, pk=room), actor=request.user)
    messages.success(request, _("The room has been deleted."))
    return redirect("plugins:video:control.rooms", **_kwargs(event))


@require_POST
@team_permission(WRITE_PERMISSION)
def module_delete(request: HttpRequest, event: Event, room: int, module: int) -> HttpResponse:
    the_module = get_object_or_404(Module, room__event=event, room_id=room, pk=module)
    services.module_delete(module=the_module, actor=request.user)
    messages.success(request, _("The module has been removed."))
    return redirect("plugins:video:control.room", room=room, **_kwargs(event))


@require_POST
@team_permission(WRITE_PERMISSION)
def join(request: HttpRequest, event: Event) -> HttpResponse:
    """Enter the online event as an organizer (moderator everywhere)."""
    token = team_member_token(event=event, user=request.user)  # type: ignore[arg-type]
    return redirect(join_url(event=event, token=token))


def _moderate(request: HttpRequest, event: Event) -> None:
    action = request.POST.get("action", "")
    room_ids = Room.objects.filter(event=event).values_list("pk", flat=True)
    by = f"team:{request.user.pk}"
    try:
        if action == "delete_message":
            message: ChatMessage = get_object_or_404(
                ChatMessage.objects.select_related("channel__event"),
                channel__event=event,
                pk=request.POST.get("id"),
            )
            services.chat_message_delete(
                channel=message.channel, message_id=message.pk, by=by, actor=request.user
            )
        elif action in ("pin_question", "unpin_question"):
            services.question_moderate(
                room_ids=room_ids,
                question_id=request.POST.get("id"),
                pinned=action == "pin_question",
                by=by,
                actor=request.user,
            )
        elif action == "remove_question":
            services.question_moderate(
                room_ids=room_ids,
                question_id=request.POST.get("id"),
                state=Question.State.DELETED,
                by=by,
                actor=request.user,
            )
        elif action == "close_poll":
            services.poll_close(room_ids=room_ids, poll_id=request.POST.get("id"), by=by, actor=request.user)
        elif action == "lift":
            restriction = get_object_or_404(Restriction, event=event, pk=request.POST.get("id"))
            services.restriction_lift(restriction=restriction, actor=request.user)
        elif action == "remove_moderator":
            moderator = get_object_or_404(Moderator, event=event, pk=request.POST.get("id"))
            services.moderator_remove(moderator=moderator, actor=request.user)
        else:
            raise Http404()
    except services.VideoError:
        raise Http404()
    messages.success(request, _("Done."))


@team_permission(WRITE_PERMISSION)
def moderation(request: HttpRequest, event: Event) -> HttpResponse:
    restriction_form = RestrictionForm(
        request.POST or None if "restrict" in request.POST else None, prefix="r"
    )
    moderator_form = ModeratorForm(
        request.POST or None if "add_moderator" in request.POST else None, prefix="m", event=event
    )
    revoke_form = TokenRevokeForm(
        request.POST or None if "revoke_tokens" in request.POST else None, prefix="t"
    )
    if request.method == "POST":
        if "revoke_tokens" in request.POST:
            if revoke_form.is_valid():
                services.token_revoke(event=event, uid=revoke_form.cleaned_data["uid"], actor=request.user)
                messages.success(request, _("The user's access tokens have been revoked."))
                return redirect("plugins:video:control.moderation", **_kwargs(event))
        elif "revoke_all_tokens" in request.POST:
            services.token_revoke_all(event=event, actor=request.user)
            messages.success(request, _("All access tokens of this event have been revoked."))
            return redirect("plugins:video:control.moderation", **_kwargs(event))
        elif "restrict" in request.POST:
            if restriction_form.is_valid():
                services.restriction_set(
                    event=event,
                    by=f"team:{request.user.pk}",
                    actor=request.user,
                    **restriction_form.cleaned_data,
                )
                messages.success(request, _("The restriction has been saved."))
                return redirect("plugins:video:control.moderation", **_kwargs(event))
        elif "add_moderator" in request.POST:
            if moderator_form.is_valid():
                services.moderator_add(event=event, actor=request.user, **moderator_form.cleaned_data)
                messages.success(request, _("The moderator has been added."))
                return redirect("plugins:video:control.moderation", **_kwargs(event))
        else:
            _moderate(request, event)
            return redirect("plugins:video:control.moderation", **_kwargs(event))
    context = {
        "restriction_form": restriction_form,
        "moderator_form": moderator_form,
        "revoke_form": revoke_form,
        "chat_messages": ChatMessage.objects.filter(channel__event=event, deleted=False)
        .select_related("channel__room")
        .order_by("-pk")[:50],
        "questions": Question.objects.filter(room__event=event)
        .exclude(state=Question.State.DELETED)
        .select_related("room")
        .annotate(vote_count=Count("votes"))
        .order_by("-pinned", "-vote_count", "-created")[:50],
        "polls": Poll.objects.filter(room__event=event, state=Poll.State.OPEN).select_related("room"),
        "restrictions": Restriction.objects.filter(event=event).order_by("-created"),
        "moderators": Moderator.objects.filter(event=event).select_related("room"),
    }
    return _render(request, event, "moderation.html", context)


@team_permission(WRITE_PERMISSION)
def announcements(request: HttpRequest, event: Event) -> HttpResponse:
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST":
        if "hide" in request.POST:
            announcement = get_object_or_404(Announcement, event=event, pk=request.POST.get("hide"))
            services.announcement_hide(announcement=announcement, actor=request.user)
            messages.success(request, _("The announcement is hidden."))
            return redirect("plugins:video:control.announcements", **_kwargs(event))
        if form.is_valid():
            try:
                services.announcement_create(event=event, text=form.cleaned_data["text"], actor=request.user)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The announcement has been sent."))
                return redirect("plugins:video:control.announcements", **_kwargs(event))
    return _render(
        request,
        event,
        "announcements.html",
        {"form": form, "announcements": Announcement.objects.filter(event=event)},
    )


@team_permission(READ_PERMISSION, WRITE_PERMISSION)
def reports(request: HttpRequest, event: Event) -> HttpResponse:
    return _render(request, event, "reports.html", {"report": selectors.report(event=event)})


def video_page(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    """The attendee page; it only talks to the websocket, with the token from the join link."""
    the_event: Event = request.event  # type: ignore[attr-defined]
    if not the_event.live and not grant_for_user(request.user, the_event.organizer).can_see_event(the_event):
        raise Http404()
    shop_url = ""
    if "tickets" in the_event.enabled_plugin_names:
        shop_url = reverse("plugins:tickets:shop", kwargs={"organizer": organizer, "event": event})
    response = render(
        request,
        "eventyay_video/video.html",
        {"event": the_event, "strings": page_strings(), "shop_url": shop_url},
    )
    # The roulette's calls on the organizer's Janus servers: the page may connect to those.
    janus_origins = janus.janus_browser_origins(organizer_id=the_event.organizer_id)
    if janus_origins:
        response._csp_update = {"connect-src": janus_origins}  # type: ignore[attr-defined]
    return response


def page_strings() -> dict[str, Any]:
    """The page script's texts, translated here and handed over as JSON data."""
    return {
        "no_token": _("You need your personal link to join, from your order page or the organizer."),
        "connecting": _("Connecting…"),
        "connected": _("Connected as %s."),
        "reconnecting": _("Connection lost, reconnecting…"),
        "no_rooms": _("There are no rooms for you yet."),
        "viewers": _("%s watching"),
        "now": _("Now: %s."),
        "next": _("Next: %s."),
        "stream": _("Livestream"),
        "join_call": _("Join the video call"),
        "deleted": _("This message was removed."),
        "edited": _("(edited)"),
        "react": _("React with %s"),
        "delete": _("Delete"),
        "closed": _("closed"),
        "votes": _("%s votes"),
        "close_poll": _("Close poll"),
        "pinned": _("Pinned"),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
        "upvote": _("Upvote, %s votes so far"),
        "error": _("Something went wrong (%s)."),
        "roulette_waiting": _("Waiting for someone to meet…"),
        "roulette_matched": _("You are meeting %s."),
        "roulette_ended": _("Your partner moved on. Waiting for the next person…"),
        "roulette_janus": _("Video room %s, PIN %s."),
        "roulette_you": _("Your camera"),
        "roulette_partner_video": _("Video of %s"),
        "roulette_call_connecting": _("Connecting the video call…"),
        "roulette_call_failed": _("The video call could not be connected (%s)."),
        "errors": {
            "auth.invalid_token": _("Your link is not valid. Please open it again from your order page."),
            "auth.expired_token": _("Your link has expired. Please open it again from your order page."),
            "auth.revoked_token": _(
                "Your session was ended by the organizer. Please open your link again from your order page."
            ),
            "auth.banned": _("You have been removed from this online event."),
            "event.unknown_event": _("This online event is not available."),
            "chat.flood": _("You are writing too fast. Please wait a moment."),
            "chat.too_long": _("Your message is too long."),
            "chat.silenced": _("You cannot write here at the moment."),
            "poll.closed": _("This poll is closed."),
            "bbb.unavailable": _("The video call cannot be started right now. Please try again in a moment."),
            "connection.lost": _("Connection lost, reconnecting…"),
            "roulette.unavailable": _("This room has no networking roulette."),
            "roulette.not_started": _("You are not taking part in the networking roulette here."),
        },
    }
