"""Read queries for rooms, chat history, polls, questions and reports.

The ``*_dict`` functions give the JSON shape the websocket protocol and the API send; they
never include other users' secrets (only uids and display names).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models import Count, Q

from eventyay.base.models import Event
from eventyay_video.models import (
    Announcement,
    ChatChannel,
    ChatMessage,
    Module,
    Poll,
    PollOption,
    PollVote,
    Question,
    QuestionVote,
    Room,
    RoomStream,
    TokenRevocation,
    UserBlock,
    UserProfile,
    ViewerSample,
)
from eventyay_video.streaming import stream_config
from eventyay_video.tokens import VideoUser

logger = logging.getLogger(__name__)

HISTORY_PAGE = 50
HISTORY_MAX = 200


def user_may_enter(room: Room, user: VideoUser) -> bool:
    """Organizers see every room; others need one of the room's traits (none required: all)."""
    if user.is_organizer or not room.traits:
        return True
    return bool(user.traits & set(room.traits))


def token_revoked(*, event: Event, user: VideoUser) -> bool:
    """Whether an organizer revoked the token ``user`` came with (asks the database)."""
    rows = TokenRevocation.objects.filter(event=event, uid__in=[user.uid, ""])
    cutoffs = [row.revoked_before.timestamp() for row in rows]
    return any(user.issued_at < cutoff for cutoff in cutoffs)


def module_dict(
    module: Module, *, user: VideoUser, moderator: bool, stream: RoomStream | None = None
) -> dict[str, Any]:
    """A module as the room's users get it; never with a server secret or a stream key.

    A BigBlueButton call says which action gives the join link (``bbb.room_url``): the meeting
    is created when someone joins, not whenever someone looks at the room. ``stream`` is the
    room's stream for an HLS module that plays it.
    """
    config = dict(module.config or {})
    if module.kind == Module.Kind.CALL_BBB:
        config = {"join_action": "bbb.room_url"}
    elif module.kind == Module.Kind.LIVESTREAM_HLS:
        config = stream_config(stream if config.get("source") == "server" else None, config)
    return {"id": module.pk, "type": module.kind, "config": config}


def room_stream(room: Room) -> RoomStream | None:
    """The room's stream, read afresh (the room may come from the cached event state)."""
    return RoomStream.objects.filter(room_id=room.pk).select_related("server").first()


def room_schedule(*, event: Event, room: Room, now: dt.datetime) -> dict[str, Any] | None:
    """The current and next talk of the linked schedule room, when the talk plugin is on."""
    if not room.talk_room_name or not event.has_plugin("talk"):
        return None
    try:
        from eventyay_talk.selectors import room_now_and_next
    except ImportError:
        return None
    current, upcoming = room_now_and_next(event=event, room_name=room.talk_room_name, now=now)
    return {"current": _jsonable(current), "next": _jsonable(upcoming)}


def _jsonable(talk: dict[str, Any] | None) -> dict[str, Any] | None:
    if talk is None:
        return None
    return {
        key: (value.isoformat() if isinstance(value, dt.datetime) else value) for key, value in talk.items()
    }


def room_dict(
    room: Room,
    *,
    user: VideoUser,
    moderator: bool = False,
    schedule: dict[str, Any] | None = None,
    with_modules: bool = True,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": room.pk,
        "name": room.name,
        "description": room.description,
        "channel": getattr(getattr(room, "channel", None), "pk", None),
        "moderator": moderator,
    }
    if with_modules:
        modules = list(room.modules.all())
        uses_stream = any(
            m.kind == Module.Kind.LIVESTREAM_HLS and (m.config or {}).get("source") == "server"
            for m in modules
        )
        stream = room_stream(room) if uses_stream else None
        data["modules"] = [module_dict(m, user=user, moderator=moderator, stream=stream) for m in modules]
        data["schedule"] = schedule
    return data


def announcement_dict(announcement: Announcement) -> dict[str, Any]:
    return {
        "id": announcement.pk,
        "text": announcement.text,
        "active": announcement.active,
        "created": announcement.created.isoformat(),
    }


def message_dict(message: ChatMessage, *, replaces: int | None = None) -> dict[str, Any]:
    """A message in both shapes: ours (``id``, ``text``, ``sender`` as an object, ``deleted``)
    and venueless's (``event_id``, ``event_type``, ``content`` object, ``replaces``, ``edited``,
    ``timestamp``). ``replaces`` is set on the broadcast of an edit or deletion."""
    created = message.created.isoformat()
    text = "" if message.deleted else message.content
    return {
        "id": message.pk,
        "event_id": message.pk,
        "channel": message.channel_id,
        "event_type": "channel.message",
        "sender": {"uid": message.sender_uid, "name": message.sender_name},
        "content": {"type": "deleted"} if message.deleted else {"type": "text", "body": text},
        "text": text,
        "reactions": {emoji: len(uids) for emoji, uids in (message.reactions or {}).items() if uids},
        "deleted": message.deleted,
        "edited": message.edited.isoformat() if message.edited else None,
        "replaces": replaces,
        "created": created,
        "timestamp": created,
    }


def chat_history(
    *, channel: ChatChannel, before: Any = None, after: Any = None, count: Any = HISTORY_PAGE
) -> dict[str, Any]:
    """A page of messages in id order: the latest ones, those ``before`` an id, or ``after`` one.

    ``after`` is how a reconnecting client catches up: it passes the last id it saw.
    """
    try:
        count = max(1, min(int(count), HISTORY_MAX))
        before = int(before) if before is not None else None
        after = int(after) if after is not None else None
    except (TypeError, ValueError):
        raise ValueError("chat.fetch needs integer before/after/count")
    messages = ChatMessage.objects.filter(channel=channel)
    if after is not None:
        page = list(messages.filter(pk__gt=after).order_by("pk")[: count + 1])
        has_more = len(page) > count
        page = page[:count]
    else:
        if before is not None:
            messages = messages.filter(pk__lt=before)
        page = list(messages.order_by("-pk")[: count + 1])
        has_more = len(page) > count
        page = list(reversed(page[:count]))
    return {"channel": channel.pk, "messages": [message_dict(m) for m in page], "has_more": has_more}


def direct_messages_allowed(*, event: Event, uids: tuple[str, str]) -> bool:
    """Whether the two users may message each other: both accept direct messages and neither
    blocked the other (two queries)."""
    first, second = uids
    accepting = UserProfile.objects.filter(
        event=event, uid__in=[first, second], accepts_direct_messages=True
    ).count()
    if accepting < 2:
        return False
    return not UserBlock.objects.filter(
        Q(uid=first, blocked_uid=second) | Q(uid=second, blocked_uid=first), event=event
    ).exists()


def poll_dict(poll: Poll, *, counts: dict[int, int], my_vote: int | None = None) -> dict[str, Any]:
    return {
        "id": poll.pk,
        "room": poll.room_id,
        "question": poll.question,
        "state": poll.state,
        "options": [
            {"id": option.pk, "text": option.text, "votes": counts.get(option.pk, 0)}
            for option in poll.options.all()
        ],
        "my_vote": my_vote,
    }


def poll_counts(poll_ids: list[int]) -> dict[int, dict[int, int]]:
    result: dict[int, dict[int, int]] = {pk: {} for pk in poll_ids}
    rows = (
        PollVote.objects.filter(poll_id__in=poll_ids).values("poll_id", "option_id").annotate(n=Count("pk"))
    )
    for row in rows:
        result[row["poll_id"]][row["option_id"]] = row["n"]
    return result


def polls_for_room(*, room: Room, uid: str | None = None) -> list[dict[str, Any]]:
    polls = list(Poll.objects.filter(room=room).prefetch_related("options"))
    counts = poll_counts([p.pk for p in polls])
    mine: dict[int, int] = {}
    if uid:
        mine = dict(PollVote.objects.filter(poll__room=room, uid=uid).values_list("poll_id", "option_id"))
    return [poll_dict(p, counts=counts[p.pk], my_vote=mine.get(p.pk)) for p in polls]


def poll_public_dict(poll: Poll) -> dict[str, Any]:
    poll = Poll.objects.prefetch_related("options").get(pk=poll.pk)
    return poll_dict(poll, counts=poll_counts([poll.pk])[poll.pk])


def question_dict(question: Question, *, votes: int, voted: bool = False) -> dict[str, Any]:
    return {
        "id": question.pk,
        "room": question.room_id,
        "content": question.content,
        "sender": {"uid": question.uid, "name": question.sender_name},
        "pinned": question.pinned,
        "state": question.state,
        "votes": votes,
        "voted": voted,
        "created": question.created.isoformat(),
    }


def questions_for_room(
    *, room: Room, uid: str | None = None, moderator: bool = False
) -> list[dict[str, Any]]:
    questions = (
        Question.objects.filter(room=room)
        .annotate(vote_count=Count("votes"))
        .order_by("-pinned", "-vote_count", "-created", "-pk")
    )
    if not moderator:
        questions = questions.filter(state=Question.State.VISIBLE)
    else:
        questions = questions.exclude(state=Question.State.DELETED)
    voted: set[int] = set()
    if uid:
        voted = set(
            QuestionVote.objects.filter(question__room=room, uid=uid).values_list("question_id", flat=True)
        )
    return [question_dict(q, votes=q.vote_count, voted=q.pk in voted) for q in questions]


def question_public_dict(question: Question) -> dict[str, Any]:
    return question_dict(question, votes=QuestionVote.objects.filter(question=question).count())


def report(*, event: Event) -> list[dict[str, Any]]:
    """Per room: chat messages, questions, poll votes, peak viewers and the viewer samples."""
    rooms = list(
        Room.objects.filter(event=event).annotate(
            chat_count=Count("channel__messages", filter=Q(channel__messages__deleted=False), distinct=True),
            question_count=Count("questions", distinct=True),
            poll_count=Count("polls", distinct=True),
        )
    )
    samples: dict[int, list[ViewerSample]] = {room.pk: [] for room in rooms}
    for sample in ViewerSample.objects.filter(room__event=event).order_by("time"):
        samples[sample.room_id].append(sample)
    return [
        {
            "room": room,
            "chat_count": room.chat_count,
            "question_count": room.question_count,
            "poll_count": room.poll_count,
            "peak_viewers": max((s.count for s in samples[room.pk]), default=0),
            "samples": samples[room.pk][-60:],
        }
        for room in rooms
    ]


def poll_options_valid(poll: Poll, option_id: Any) -> PollOption | None:
    try:
        return PollOption.objects.filter(poll=poll, pk=int(option_id)).first()
    except (TypeError, ValueError):
        return None
