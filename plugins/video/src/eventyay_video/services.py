"""Business rules of the video plugin: rooms, chat, polls, Q&A, moderation and announcements.

Writes run in one transaction with an audit entry where an organizer acts; live changes are
broadcast to the websocket groups after commit (see :mod:`eventyay_video.realtime`). Actions
of video users raise :class:`VideoError` with a protocol error code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, changes, log_action
from eventyay_video import realtime, selectors
from eventyay_video.auth_state import event_state, state_changed
from eventyay_video.models import (
    Announcement,
    ChatChannel,
    ChatMessage,
    ChatMessageEdit,
    Moderator,
    Module,
    Poll,
    PollOption,
    PollVote,
    Question,
    QuestionVote,
    Restriction,
    Room,
    TokenRevocation,
    ViewerSample,
)
from eventyay_video.tokens import VideoUser

MESSAGE_MAX_LENGTH = 2000
QUESTION_MAX_LENGTH = 1000
POLL_MAX_OPTIONS = 10
REACTIONS = ("👍", "❤️", "😂", "🎉", "😮", "👏")
URL_KINDS = {Module.Kind.LIVESTREAM_HLS, Module.Kind.LIVESTREAM_IFRAME, Module.Kind.CALL_URL}


class VideoError(Exception):
    """An action a video user may not take; ``code`` goes into the protocol's error frame."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


# --- rooms and modules ---------------------------------------------------------------------------


def _room_snapshot(room: Room) -> dict[str, Any]:
    return {
        "name": room.name,
        "description": room.description,
        "order": room.order,
        "traits": list(room.traits),
        "talk_room_name": room.talk_room_name,
    }


def _clean_traits(traits: Any) -> list[str]:
    if isinstance(traits, str):
        traits = [t for t in (part.strip() for part in traits.replace(",", "\n").splitlines()) if t]
    if not isinstance(traits, list | tuple) or not all(isinstance(t, str) for t in traits):
        raise ValidationError({"traits": [_("Enter a list of traits.")]})
    return sorted({t.strip() for t in traits if t.strip()})


def room_save(*, event: Event, data: dict[str, Any], room: Room | None = None, actor: Actor = None) -> Room:
    """Create a room (with its chat channel) or change ``room``."""
    with transaction.atomic():
        before = _room_snapshot(room) if room else {}
        created = room is None
        if room is None:
            room = Room(event=event)
        for field in ("name", "description", "order", "talk_room_name"):
            if field in data:
                setattr(room, field, data[field] if data[field] is not None else "")
        if "traits" in data:
            room.traits = _clean_traits(data["traits"])
        room.full_clean(exclude=["event"])
        room.save()
        if created:
            ChatChannel.objects.create(event=event, room=room)
        state_changed(event.pk)
        log_action(
            action="eventyay_video.room.created" if created else "eventyay_video.room.changed",
            organizer=event.organizer,
            event=event,
            obj=room,
            actor=actor,
            data=changes(before, _room_snapshot(room)),
        )
    return room


def room_delete(*, room: Room, actor: Actor = None) -> None:
    with transaction.atomic():
        log_action(
            action="eventyay_video.room.deleted",
            organizer=room.event.organizer,
            event=room.event,
            obj=room,
            actor=actor,
            data={"name": room.name},
        )
        state_changed(room.event_id)
        room.delete()


def _clean_module_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    from django.core.validators import URLValidator

    url_validator = URLValidator(schemes=["https", "http"])
    if not isinstance(config, dict):
        raise ValidationError({"config": [_("Enter an object.")]})
    if kind == Module.Kind.LIVESTREAM_HLS:
        return _clean_hls_config(config, url_validator)
    if kind in URL_KINDS:
        url = str(config.get("url", "")).strip()
        try:
            url_validator(url)
        except ValidationError:
            raise ValidationError({"url": [_("Enter a valid URL.")]})
        return {"url": url}
    if kind == Module.Kind.CALL_BBB:
        # The meeting runs on the organizer's BigBlueButton servers (eventyay_video.bbb).
        traits = config.get("moderator_traits") or []
        if isinstance(traits, str):
            traits = traits.splitlines()
        if not isinstance(traits, list):
            raise ValidationError({"moderator_traits": [_("Enter a list of traits.")]})
        return {
            "record": bool(config.get("record")),
            "moderator_traits": sorted({str(t).strip() for t in traits if str(t).strip()}),
        }
    if kind == Module.Kind.NETWORKING_ROULETTE:
        # Without Janus servers, matches meet on this Jitsi server (empty: the public one).
        jitsi_url = str(config.get("jitsi_url") or config.get("url") or "").strip()
        if jitsi_url:
            try:
                url_validator(jitsi_url)
            except ValidationError:
                raise ValidationError({"url": [_("Enter the URL of a Jitsi server.")]})
        return {"jitsi_url": jitsi_url}
    if kind == Module.Kind.PAGE:
        return {"content": str(config.get("content", ""))[:20000]}
    return {}


def _clean_hls_config(config: dict[str, Any], url_validator: Any) -> dict[str, Any]:
    """An HLS module plays its ``url``, or the room's stream when ``source`` is ``server``."""
    source = "server" if config.get("source") == "server" else "url"
    cleaned: dict[str, str] = {"source": source} if source == "server" else {}
    for key in ("url", "fallback_url"):
        value = str(config.get(key) or "").strip()
        if value or (key == "url" and source == "url"):
            try:
                url_validator(value)
            except ValidationError:
                raise ValidationError({key: [_("Enter a valid URL.")]})
        if value:
            cleaned[key] = value
    return cleaned


def module_save(
    *,
    room: Room,
    kind: str,
    config: dict[str, Any],
    order: int = 0,
    module: Module | None = None,
    actor: Actor = None,
) -> Module:
    if kind not in Module.Kind.values:
        raise ValidationError({"kind": [_("Unknown module type.")]})
    with transaction.atomic():
        created = module is None
        if module is None:
            module = Module(room=room)
        module.kind = kind
        module.config = _clean_module_config(kind, config)
        module.order = order
        module.save()
        state_changed(room.event_id)
        log_action(
            action="eventyay_video.module.created" if created else "eventyay_video.module.changed",
            organizer=room.event.organizer,
            event=room.event,
            obj=room,
            actor=actor,
            data={"kind": kind},
        )
    return module


def module_delete(*, module: Module, actor: Actor = None) -> None:
    room = module.room
    with transaction.atomic():
        log_action(
            action="eventyay_video.module.deleted",
            organizer=room.event.organizer,
            event=room.event,
            obj=room,
            actor=actor,
            data={"kind": module.kind},
        )
        state_changed(room.event_id)
        module.delete()


def video_settings_update(*, event: Event, allow_pending: bool, actor: Actor = None) -> None:
    with transaction.atomic():
        event.settings.set("video_allow_pending", bool(allow_pending))
        log_action(
            action="eventyay_video.settings.changed",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"video_allow_pending": bool(allow_pending)},
        )


# --- announcements and moderation by organizers --------------------------------------------------


def announcement_create(*, event: Event, text: str, actor: Actor = None) -> Announcement:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Enter the announcement.")]})
    with transaction.atomic():
        announcement = Announcement(event=event, text=text)
        announcement.full_clean(exclude=["event"])
        announcement.save()
        state_changed(event.pk)
        log_action(
            action="eventyay_video.announcement.created",
            organizer=event.organizer,
            event=event,
            obj=announcement,
            actor=actor,
            data={"text": text},
        )
        realtime.publish(
            realtime.event_group(event.pk), "announcement", selectors.announcement_dict(announcement)
        )
    return announcement


def announcement_hide(*, announcement: Announcement, actor: Actor = None) -> None:
    event = announcement.event
    with transaction.atomic():
        announcement.active = False
        announcement.save(update_fields=["active"])
        state_changed(event.pk)
        log_action(
            action="eventyay_video.announcement.hidden",
            organizer=event.organizer,
            event=event,
            obj=announcement,
            actor=actor,
        )
        realtime.publish(
            realtime.event_group(event.pk), "announcement", selectors.announcement_dict(announcement)
        )


def moderator_add(
    *, event: Event, uid: str, name: str = "", room: Room | None = None, actor: Actor = None
) -> Moderator:
    uid = (uid or "").strip()
    if not uid:
        raise ValidationError({"uid": [_("Enter the user id.")]})
    with transaction.atomic():
        moderator, _created = Moderator.objects.get_or_create(
            event=event, room=room, uid=uid, defaults={"name": name.strip()}
        )
        state_changed(event.pk)
        log_action(
            action="eventyay_video.moderator.added",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"uid": uid, "room": room.pk if room else None},
        )
    return moderator


def moderator_remove(*, moderator: Moderator, actor: Actor = None) -> None:
    with transaction.atomic():
        log_action(
            action="eventyay_video.moderator.removed",
            organizer=moderator.event.organizer,
            event=moderator.event,
            actor=actor,
            data={"uid": moderator.uid},
        )
        state_changed(moderator.event_id)
        moderator.delete()


def restriction_set(
    *, event: Event, uid: str, kind: str, name: str = "", by: str = "", actor: Actor = None
) -> Restriction:
    """Ban (disconnect and keep out) or silence (read only) a video user on the whole event."""
    uid = (uid or "").strip()
    if not uid:
        raise ValidationError({"uid": [_("Enter the user id.")]})
    if kind not in Restriction.Kind.values:
        raise ValidationError({"kind": [_("Unknown restriction.")]})
    with transaction.atomic():
        restriction, _created = Restriction.objects.update_or_create(
            event=event, uid=uid, defaults={"kind": kind, "name": name[:200], "created_by": by[:200]}
        )
        state_changed(event.pk)
        log_action(
            action=f"eventyay_video.user.{kind}",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"uid": uid, "by": by},
        )
        if kind == Restriction.Kind.BAN:
            realtime.kick(event_id=event.pk, uid=uid, code="auth.banned")
    return restriction


def restriction_lift(*, restriction: Restriction, actor: Actor = None) -> None:
    with transaction.atomic():
        log_action(
            action="eventyay_video.user.restriction_lifted",
            organizer=restriction.event.organizer,
            event=restriction.event,
            actor=actor,
            data={"uid": restriction.uid, "kind": restriction.kind},
        )
        state_changed(restriction.event_id)
        restriction.delete()


# --- access tokens -------------------------------------------------------------------------------

#: Close code of a socket whose token expired or was revoked: the client needs a new join link.
TOKEN_CLOSE_CODE = 4401


def _revoke(*, event: Event, uid: str, action: str, actor: Actor) -> TokenRevocation:
    with transaction.atomic():
        revocation, _created = TokenRevocation.objects.update_or_create(
            event=event, uid=uid, defaults={"revoked_before": timezone.now()}
        )
        log_action(action=action, organizer=event.organizer, event=event, actor=actor, data={"uid": uid})
        state_changed(event.pk)
        realtime.kick(
            event_id=event.pk, uid=uid or None, code="auth.revoked_token", close_code=TOKEN_CLOSE_CODE
        )
    return revocation


def token_revoke(*, event: Event, uid: str, actor: Actor = None) -> TokenRevocation:
    """Void every token of ``uid`` issued so far and close the user's open sockets.

    New tokens (the user opening their join link again) work; ban the user to keep them out.
    """
    uid = (uid or "").strip()
    if not uid:
        raise ValidationError({"uid": [_("Enter the user id.")]})
    if len(uid) > 200:
        raise ValidationError({"uid": [_("A user id has at most 200 characters.")]})
    return _revoke(event=event, uid=uid, action="eventyay_video.tokens.revoked", actor=actor)


def token_revoke_all(*, event: Event, actor: Actor = None) -> TokenRevocation:
    """Void every token of the event issued so far and close all its open sockets."""
    return _revoke(event=event, uid="", action="eventyay_video.tokens.revoked_all", actor=actor)


# --- chat ----------------------------------------------------------------------------------------


def ensure_may_write(*, event: Event, user: VideoUser) -> None:
    """Banned and silenced users may read but not write (``auth.banned``, ``chat.silenced``)."""
    restriction = event_state(event).restriction_of(user.uid)
    if restriction == Restriction.Kind.BAN:
        raise VideoError("auth.banned")
    if restriction == Restriction.Kind.SILENCE:
        raise VideoError("chat.silenced")


#: First key of the PostgreSQL advisory locks that order the messages of a chat channel.
CHAT_ORDER_LOCK = 0x76696430  # "vid0"
#: Seconds a sender may hold a channel's send order in Redis before another sender goes ahead
#: anyway (a process that died holding it must not stop the channel for longer).
CHAT_ORDER_LEASE = 5.0
_chat_order_local = threading.Lock()


@contextlib.contextmanager
def _chat_order(channel: ChatChannel) -> Iterator[None]:
    """Hold the channel's send order from storing a message until it has been published.

    Ids come from the insert, publishing happens after commit: without this, two messages
    stored at the same time by different database threads or processes could be broadcast in
    the opposite order of their ids. On PostgreSQL a session advisory lock per channel (held
    across the commit) covers every process. Behind PgBouncer in transaction mode a session
    lock would stay on whichever server connection took it, so there a lock key per channel
    in Redis does the same. Otherwise (SQLite, one process) a process lock.
    """
    if connection.in_atomic_block:  # publishing waits for an outer commit: nothing to order here
        yield
    elif connection.vendor == "postgresql" and settings.DB_PGBOUNCER and settings.REDIS_URL:
        key = f"eventyay_video:chat-order:{channel.pk}"
        holder = uuid.uuid4().hex
        # A holder that died leaves the key to expire after its lease; waiting ends then.
        while not cache.add(key, holder, timeout=CHAT_ORDER_LEASE):
            time.sleep(0.002)
        try:
            yield
        finally:
            if cache.get(key) == holder:
                cache.delete(key)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [CHAT_ORDER_LOCK, channel.pk])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [CHAT_ORDER_LOCK, channel.pk])
    else:
        with _chat_order_local:
            yield


#: The only event type clients send (venueless also knows ``channel.member``, which the
#: server creates itself).
MESSAGE_EVENT_TYPE = "channel.message"


def chat_content_parse(content: Any, event_type: Any = None) -> str | None:
    """The text of a message from either protocol shape; None for a deletion.

    Accepted: a plain string, or venueless's ``{"type": "text", "body": ...}`` and
    ``{"type": "deleted"}`` (only valid as an edit) with ``event_type`` ``channel.message``.
    """
    if event_type is not None and event_type != MESSAGE_EVENT_TYPE:
        raise VideoError("chat.unsupported_event_type")
    if isinstance(content, dict):
        kind = content.get("type")
        if kind == "deleted":
            return None
        if kind != "text":
            raise VideoError("chat.unsupported_content_type")
        content = content.get("body")
    if not isinstance(content, str) or not content.strip():
        raise VideoError("chat.empty")
    if len(content) > MESSAGE_MAX_LENGTH:
        raise VideoError("chat.too_long")
    return content.strip()


def chat_message_send(
    *,
    event: Event,
    channel: ChatChannel,
    user: VideoUser,
    content: Any,
    event_type: Any = None,
    replaces: Any = None,
    moderator: bool = False,
) -> ChatMessage:
    """Store a message, then broadcast it to the channel (persisted before anyone sees it).

    With ``replaces`` the message is an edit of an earlier one (see :func:`chat_message_edit`).
    Broadcasts of a channel leave in the order of their ids (see :func:`_chat_order`).
    """
    text = chat_content_parse(content, event_type)
    if replaces is not None:
        return chat_message_edit(
            event=event, channel=channel, user=user, message_id=replaces, text=text, moderator=moderator
        )
    if text is None:
        raise VideoError("chat.unsupported_content_type")
    content = text
    ensure_may_write(event=event, user=user)
    if channel.direct_first and not selectors.direct_messages_allowed(
        event=event, uids=(channel.direct_first, channel.direct_second)
    ):
        raise VideoError("chat.denied")
    with _chat_order(channel), transaction.atomic():
        message = ChatMessage.objects.create(
            channel=channel, sender_uid=user.uid, sender_name=user.name, content=content.strip()
        )
        publish_message(channel, message)
    return message


def publish_message(channel: ChatChannel, message: ChatMessage, *, replaces: int | None = None) -> None:
    """Broadcast ``chat.event`` after commit: to the sockets that joined a room's channel, or
    to every socket of both members of a direct-message channel (they need not have opened it
    to be told of a new message)."""
    payload = selectors.message_dict(message, replaces=replaces)
    if not channel.direct_first:
        realtime.publish(realtime.chat_group(channel.pk), "chat.event", payload)
        return
    for uid in (channel.direct_first, channel.direct_second):
        realtime.publish(realtime.user_group(channel.event_id, uid), "chat.event", payload)


def chat_message_edit(
    *, event: Event, channel: ChatChannel, user: VideoUser, message_id: Any, text: str | None, moderator: bool
) -> ChatMessage:
    """Change the text of one's own message, or delete it (``text`` None).

    Moderators of the channel's room may delete other users' messages but never change their
    words. The earlier text is kept (:class:`ChatMessageEdit`) and the changed message is
    broadcast with ``replaces`` set, so clients update the message they show.
    """
    ensure_may_write(event=event, user=user)
    with transaction.atomic():
        message = message_in(channel, message_id, lock=True)
        if message.deleted:
            raise VideoError("chat.unknown_message")
        own = message.sender_uid == user.uid
        if not own and not (moderator and text is None):
            raise VideoError("chat.denied")
        ChatMessageEdit.objects.create(message=message, previous_content=message.content, by_uid=user.uid)
        if text is None:
            message.deleted = True
            if not own:
                log_action(
                    action="eventyay_video.chat.message_deleted",
                    organizer=event.organizer,
                    event=event,
                    data={"message": message.pk, "sender": message.sender_uid, "by": user.uid},
                )
        else:
            message.content = text
            message.edited = timezone.now()
        message.save(update_fields=["deleted", "content", "edited"])
        publish_message(channel, message, replaces=message.pk)
    return message


def message_in(channel: ChatChannel, message_id: Any, *, lock: bool = False) -> ChatMessage:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise VideoError("chat.unknown_message")
    queryset = ChatMessage.objects.filter(channel=channel, pk=message_id)
    if lock:
        queryset = queryset.select_for_update()
    message = queryset.first()
    if message is None:
        raise VideoError("chat.unknown_message")
    return message


def chat_message_react(
    *, channel: ChatChannel, user: VideoUser, message_id: Any, emoji: Any, present: bool | None = None
) -> ChatMessage:
    """Toggle ``user``'s reaction ``emoji`` on a message, or set it (``present`` True) or
    remove it (False), as venueless clients do with their ``delete`` flag."""
    if emoji not in REACTIONS:
        raise VideoError("chat.unknown_reaction")
    with transaction.atomic():
        message = message_in(channel, message_id, lock=True)
        if message.deleted:
            raise VideoError("chat.unknown_message")
        uids = list(message.reactions.get(emoji, []))
        if present is None:
            present = user.uid not in uids
        if not present and user.uid in uids:
            uids.remove(user.uid)
        elif present and user.uid not in uids:
            uids.append(user.uid)
        message.reactions = {**message.reactions, emoji: uids}
        if not uids:
            message.reactions.pop(emoji)
        message.save(update_fields=["reactions"])
        publish_message(channel, message)
    return message


def chat_message_delete(
    *, channel: ChatChannel, message_id: Any, by: str = "", actor: Actor = None
) -> ChatMessage:
    """Hide a message for everyone (moderators; the row stays for the record)."""
    event = channel.event
    with transaction.atomic():
        message = message_in(channel, message_id, lock=True)
        message.deleted = True
        message.save(update_fields=["deleted"])
        log_action(
            action="eventyay_video.chat.message_deleted",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"message": message.pk, "sender": message.sender_uid, "by": by},
        )
        publish_message(channel, message)
    return message


# --- polls ---------------------------------------------------------------------------------------


def _publish_poll(poll: Poll) -> None:
    realtime.publish(realtime.room_group(poll.room_id), "poll.updated", selectors.poll_public_dict(poll))


def poll_create(*, room: Room, question: Any, options: Any, by: str) -> Poll:
    if not isinstance(question, str) or not question.strip() or len(question) > 500:
        raise VideoError("poll.invalid", "question")
    if (
        not isinstance(options, list)
        or not 2 <= len(options) <= POLL_MAX_OPTIONS
        or not all(isinstance(o, str) and o.strip() and len(o) <= 200 for o in options)
    ):
        raise VideoError("poll.invalid", "options")
    with transaction.atomic():
        poll = Poll.objects.create(room=room, question=question.strip(), created_by=by)
        PollOption.objects.bulk_create(
            [PollOption(poll=poll, text=text.strip(), order=index) for index, text in enumerate(options)]
        )
        _publish_poll(poll)
    return poll


def _poll_in(room_ids: Any, poll_id: Any, *, lock: bool = False) -> Poll:
    try:
        poll_id = int(poll_id)
    except (TypeError, ValueError):
        raise VideoError("poll.unknown")
    queryset = Poll.objects.filter(pk=poll_id, room_id__in=room_ids)
    if lock:
        queryset = queryset.select_for_update()
    poll = queryset.first()
    if poll is None:
        raise VideoError("poll.unknown")
    return poll


def poll_vote(*, event: Event, room_ids: Any, user: VideoUser, poll_id: Any, option_id: Any) -> Poll:
    """One vote per user and poll; voting again changes the vote while the poll is open."""
    ensure_may_write(event=event, user=user)
    with transaction.atomic():
        poll = _poll_in(room_ids, poll_id)
        if poll.state != Poll.State.OPEN:
            raise VideoError("poll.closed")
        option = selectors.poll_options_valid(poll, option_id)
        if option is None:
            raise VideoError("poll.unknown_option")
        PollVote.objects.update_or_create(poll=poll, uid=user.uid, defaults={"option": option})
        _publish_poll(poll)
    return poll


def poll_close(*, room_ids: Any, poll_id: Any, by: str = "", actor: Actor = None) -> Poll:
    with transaction.atomic():
        poll = _poll_in(room_ids, poll_id, lock=True)
        poll.state = Poll.State.CLOSED
        poll.save(update_fields=["state"])
        event = poll.room.event
        log_action(
            action="eventyay_video.poll.closed",
            organizer=event.organizer,
            event=event,
            obj=poll,
            actor=actor,
            data={"by": by},
        )
        _publish_poll(poll)
    return poll


# --- questions -----------------------------------------------------------------------------------


def _publish_question(question: Question) -> None:
    realtime.publish(
        realtime.room_group(question.room_id), "question.updated", selectors.question_public_dict(question)
    )


def question_ask(*, event: Event, room: Room, user: VideoUser, content: Any) -> Question:
    if not isinstance(content, str) or not content.strip():
        raise VideoError("question.empty")
    if len(content) > QUESTION_MAX_LENGTH:
        raise VideoError("question.too_long")
    ensure_may_write(event=event, user=user)
    with transaction.atomic():
        question = Question.objects.create(
            room=room, uid=user.uid, sender_name=user.name, content=content.strip()
        )
        _publish_question(question)
    return question


def _question_in(room_ids: Any, question_id: Any) -> Question:
    try:
        question_id = int(question_id)
    except (TypeError, ValueError):
        raise VideoError("question.unknown")
    question = Question.objects.filter(pk=question_id, room_id__in=room_ids).first()
    if question is None or question.state == Question.State.DELETED:
        raise VideoError("question.unknown")
    return question


def question_vote(*, room_ids: Any, user: VideoUser, question_id: Any) -> Question:
    """Upvote a question once; a second vote by the same user is ignored."""
    with transaction.atomic():
        question = _question_in(room_ids, question_id)
        try:
            with transaction.atomic():
                QuestionVote.objects.create(question=question, uid=user.uid)
        except IntegrityError:
            return question
        _publish_question(question)
    return question


def question_moderate(
    *,
    room_ids: Any,
    question_id: Any,
    pinned: bool | None = None,
    state: str | None = None,
    by: str = "",
    actor: Actor = None,
) -> Question:
    """Pin or unpin a question, mark it answered, or remove it."""
    if state is not None and state not in Question.State.values:
        raise VideoError("question.invalid")
    with transaction.atomic():
        question = _question_in(room_ids, question_id)
        if pinned is not None:
            if pinned:
                Question.objects.filter(room_id=question.room_id, pinned=True).update(pinned=False)
            question.pinned = bool(pinned)
        if state is not None:
            question.state = state
        question.save(update_fields=["pinned", "state"])
        event = question.room.event
        log_action(
            action="eventyay_video.question.moderated",
            organizer=event.organizer,
            event=event,
            obj=question,
            actor=actor,
            data={"pinned": question.pinned, "state": question.state, "by": by},
        )
        _publish_question(question)
    return question


# --- statistics ----------------------------------------------------------------------------------


def viewer_sample_record(*, room_id: int, count: int, time: dt.datetime | None = None) -> ViewerSample | None:
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        return None
    return ViewerSample.objects.create(room=room, count=max(0, count), time=time or timezone.now())
