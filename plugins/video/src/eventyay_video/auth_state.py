"""What opening a socket needs of an event, cached so that connecting costs no database query.

A reconnect storm (every client of a large event reconnecting after a deploy) must not turn
into thousands of identical queries. Connecting needs the event (looked up by its slugs) and
the event's :class:`VideoState`: rooms with their modules and chat channel, moderators, bans
and silences, token revocations and active announcements. Both live in the shared cache
(Redis in production), so one process's load serves every process.

Invalidation: a state is stored under the event's *generation*, a counter that every service
changing one of its parts bumps after its transaction commits (:func:`state_changed`). A
reader that loaded a state just before a change stores it under the old generation, which
no later reader asks for, so a stale state is never served after the bump. Each process also
keeps the state of the current generation in memory, so a cached connect costs four cache
reads (the slugs' negative entry, the event's content version, the event and the generation),
and only one thread of a process loads a state that is not cached. The event comes from the
core's tenant cache under the event's content version, so every change of the event (its
slugs, its plugins, its settings, switching it off, deleting it) is seen by the next socket.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save

from eventyay.base.models import Event
from eventyay.base.services.cache import one_builder, tenant_event
from eventyay_video.models import Announcement, Moderator, Restriction, Room, TokenRevocation
from eventyay_video.tokens import VideoUser

PLUGIN_NAME = "video"
#: Seconds slugs of no event are remembered (an event saved under them forgets them at once).
EVENT_CACHE_SECONDS = 60
#: Seconds a state stays in the shared cache; a change makes it unused long before that.
STATE_CACHE_SECONDS = 3600
#: Most active announcements a connecting client is sent.
ANNOUNCEMENTS_SHOWN = 10


@dataclass(frozen=True)
class VideoState:
    """The parts of an event that authenticating, entering a room and joining a chat read."""

    #: Rooms in display order, each with its ``channel`` and its ``modules`` prefetched.
    rooms: tuple[Room, ...] = ()
    #: uid → rooms the user moderates (None: every room of the event).
    moderators: dict[str, frozenset[int | None]] = field(default_factory=dict)
    #: uid → ``"ban"`` or ``"silence"``.
    restrictions: dict[str, str] = field(default_factory=dict)
    #: uid (``""``: everyone) → Unix time before which tokens are revoked.
    revocations: dict[str, float] = field(default_factory=dict)
    announcements: tuple[Announcement, ...] = ()

    def room(self, room_id: int) -> Room | None:
        return next((room for room in self.rooms if room.pk == room_id), None)

    def room_of_channel(self, channel_id: int) -> Room | None:
        return next((room for room in self.rooms if _channel_id(room) == channel_id), None)

    def restriction_of(self, uid: str) -> str | None:
        return self.restrictions.get(uid)

    def token_revoked(self, user: VideoUser) -> bool:
        return any(
            user.issued_at < cutoff
            for cutoff in (self.revocations.get(user.uid), self.revocations.get(""))
            if cutoff is not None
        )

    def moderation_rights(self, user: VideoUser) -> tuple[bool, frozenset[int]]:
        """Whether ``user`` moderates the whole event, and the rooms they moderate otherwise."""
        if user.is_organizer:
            return True, frozenset()
        rooms = self.moderators.get(user.uid, frozenset())
        return (None in rooms), frozenset(pk for pk in rooms if pk is not None)


def _channel_id(room: Room) -> int | None:
    channel = getattr(room, "channel", None)
    return channel.pk if channel is not None else None


def event_cache_key(organizer_slug: str, event_slug: str) -> str:
    return f"eventyay_video:event:{organizer_slug}:{event_slug}"


def generation_key(event_id: int) -> str:
    return f"eventyay_video:state-generation:{event_id}"


def state_key(event_id: int, generation: int) -> str:
    return f"eventyay_video:state:{event_id}:{generation}"


def event_by_slugs(organizer_slug: str, event_slug: str) -> Event | None:
    """The event with the video plugin on, with its organizer; None if there is none.

    The core's tenant cache (:func:`~eventyay.base.services.cache.tenant_event`) keeps the
    event under its content version, which every change of the event row, its organizer or
    its plugins bumps, so a renamed event, a plugin switched off or any other change is seen
    by the next socket. Only slugs of no event at all are remembered here (as ``False``,
    dropped when an event gets those slugs), so probing wrong slugs does not reach the
    database for each socket either.
    """
    key = event_cache_key(organizer_slug, event_slug)
    if cache.get(key) is False:
        return None
    event = tenant_event(organizer_slug, event_slug)
    if event is None:
        cache.set(key, False, timeout=EVENT_CACHE_SECONDS)
        return None
    return event if PLUGIN_NAME in event.enabled_plugin_names else None


def event_lookup_forget(event: Event) -> None:
    """Drop what is remembered about the slugs of ``event`` (a new event, new slugs)."""
    cache.delete(event_cache_key(event.organizer.slug, event.slug))


def _event_saved(sender: type, instance: Event, **kwargs: object) -> None:
    if not kwargs.get("raw"):
        event_lookup_forget(instance)


# An event created (or renamed) under slugs probed before is found by the next socket. Connected
# when the module is imported, which the plugin's hooks do at start-up.
post_save.connect(_event_saved, sender=Event, dispatch_uid="eventyay-video-event-slugs")


def _generation(event_id: int) -> int:
    key = generation_key(event_id)
    generation = cache.get(key)
    if generation is None:
        # A new counter starts at the clock, not at 0: if the counter was evicted, a state
        # stored under an earlier generation must not be taken for the current one.
        cache.add(key, time.time_ns(), timeout=None)
        generation = cache.get(key)
    return int(generation)


def state_load(event: Event) -> VideoState:
    """The event's state from the database (in the organizer's scope): six queries."""
    rooms = tuple(Room.objects.filter(event=event).select_related("channel").prefetch_related("modules"))
    moderators: dict[str, set[int | None]] = {}
    for uid, room_id in Moderator.objects.filter(event=event).values_list("uid", "room_id"):
        moderators.setdefault(uid, set()).add(room_id)
    return VideoState(
        rooms=rooms,
        moderators={uid: frozenset(room_ids) for uid, room_ids in moderators.items()},
        restrictions=dict(Restriction.objects.filter(event=event).values_list("uid", "kind")),
        revocations={
            uid: revoked_before.timestamp()
            for uid, revoked_before in TokenRevocation.objects.filter(event=event).values_list(
                "uid", "revoked_before"
            )
        },
        announcements=tuple(Announcement.objects.filter(event=event, active=True)[:ANNOUNCEMENTS_SHOWN]),
    )


#: event id → (generation, state) of this process; replaced as soon as the generation moves.
_local: dict[int, tuple[int, VideoState]] = {}
_local_lock = threading.Lock()


def event_state(event: Event) -> VideoState:
    """The event's current state: from this process's memory, the shared cache or the database."""
    generation = _generation(event.pk)
    local = _local.get(event.pk)
    if local is not None and local[0] == generation:
        return local[1]
    # One thread of the process fetches or loads the state; the pool's other threads, asked for
    # the same event by sockets connecting at the same moment, wait for it instead of loading
    # it once each.
    with one_builder(("video:state", event.pk), reads=Room):
        local = _local.get(event.pk)
        if local is not None and local[0] == generation:
            return local[1]
        key = state_key(event.pk, generation)
        state = cache.get(key)
        if state is None:
            state = state_load(event)
            cache.set(key, state, timeout=STATE_CACHE_SECONDS)
        with _local_lock:
            _local[event.pk] = (generation, state)
    return state


def _bump(event_id: int) -> None:
    key = generation_key(event_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, time.time_ns(), timeout=None)


def state_changed(event_id: int) -> None:
    """Make the next reader load the event's state afresh, once the current transaction commits.

    Every service that changes rooms, modules, moderators, restrictions, revocations or
    announcements calls it inside its transaction.
    """
    transaction.on_commit(lambda: _bump(event_id))


def state_forget_local() -> None:
    """Drop this process's copies (tests that clear the shared cache call it too)."""
    with _local_lock:
        _local.clear()
