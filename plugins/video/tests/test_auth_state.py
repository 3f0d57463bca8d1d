"""Connecting reads the event's cached state: no query once warm, and every change shows at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db.backends import utils as db_utils
from django_scopes import scope
from eventyay_video import consumers, services
from eventyay_video.auth_state import state_load

from eventyay.base.models import ContentVersion
from eventyay.base.services import cache as page_cache
from eventyay.base.services.events import event_update
from eventyay.base.services.plugins import event_plugins_update

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


class QueryCounter:
    """Statements run by any thread: the consumer's database work runs on a pool of threads,
    which the per-connection query capture of Django's test tools does not see."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.statements.clear()

    def __len__(self) -> int:
        return len(self.statements)


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[QueryCounter]:
    """Counts statements; the viewer sample (stored by a background task once a minute, not
    by connecting) is left out so that its timing cannot change the counts."""
    monkeypatch.setattr(consumers, "_record_sample", lambda room_id, count: None)
    counter = QueryCounter()
    original = db_utils.CursorWrapper._execute_with_wrappers

    def counting(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        with counter.lock:
            counter.statements.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(db_utils.CursorWrapper, "_execute_with_wrappers", counting)
    yield counter


def in_scope(event: Any, func: Any) -> Any:
    def run() -> Any:
        with scope(organizer=event.organizer):
            return func()

    return sync_to_async(run)()


def _version_reads(sockets: int) -> int:
    """Statements of ``sockets`` warm connects: none with a shared cache (Redis); with a cache
    per process (the embedded mode) each reads the event's content version row, as every
    cached page does there, so that a change made by another process is seen at once."""
    return 0 if page_cache.cache_is_shared() else sockets


def _only_version_reads(statements: list[str], sockets: int) -> bool:
    table = ContentVersion._meta.db_table
    return len(statements) == _version_reads(sockets) and all(table in sql for sql in statements)


async def connect(ws: Any, token: str, room: Any = None) -> Any:
    client = ws()
    await client.connect()
    welcome = await client.authenticate(token)
    if room is not None:
        await client.ok("room.enter", {"room": room.pk})
    client.welcome = welcome
    return client


async def test_a_warm_connect_authenticate_and_room_enter_run_no_query(ws, room, token_for, queries):
    first = await connect(ws, token_for(uid="ticket:first"), room)
    assert len(queries) > 0  # the first socket loads the event and its state
    queries.reset()
    second = await connect(ws, token_for(uid="ticket:second"), room)
    assert _only_version_reads(queries.statements, 1), queries.statements
    joined = await second.ok("chat.join", {"channel": room.channel.pk, "count": 1})
    assert joined["channel"] == room.channel.pk
    assert len(queries) == 1 + _version_reads(1), queries.statements  # the history page itself
    for client in (first, second):
        await client.close()


async def test_a_reconnect_storm_loads_the_state_once(ws, room, token_for, queries):
    clients = [await connect(ws, token_for(uid=f"ticket:{n}"), room) for n in range(30)]
    cold = len(queries)
    # The event and its plugins (2), the state (6); the version row per later socket (embedded mode).
    assert cold == 8 + _version_reads(29), queries.statements
    for client in clients:
        await client.close()
    queries.reset()
    clients = [await connect(ws, token_for(uid=f"ticket:{n}"), room) for n in range(30)]
    assert _only_version_reads(queries.statements, 30), queries.statements
    for client in clients:
        await client.close()


def test_the_state_loads_in_a_constant_number_of_queries(make_room, video_event, django_assert_num_queries):
    for n in range(3):
        make_room(f"Room {n}")
    with scope(organizer=video_event.organizer):
        services.moderator_add(event=video_event, uid="ticket:mod")
        services.restriction_set(event=video_event, uid="ticket:loud", kind="silence")
        with django_assert_num_queries(6):  # rooms, their modules, moderators, bans, revocations, news
            state = state_load(video_event)
    assert len(state.rooms) == 3 and all(len(room.modules.all()) == 3 for room in state.rooms)


async def test_a_new_room_is_listed_to_the_next_socket(ws, room, make_room, token_for):
    before = await connect(ws, token_for(uid="ticket:a"))
    added = await sync_to_async(make_room)("Side stage")
    after = await connect(ws, token_for(uid="ticket:b"), added)
    assert [r["name"] for r in before.welcome["rooms"]] == ["Main stage"]
    assert [r["name"] for r in after.welcome["rooms"]] == ["Main stage", "Side stage"]
    await in_scope(room.event, lambda: services.room_delete(room=added))
    third = await connect(ws, token_for(uid="ticket:c"))
    assert [r["name"] for r in third.welcome["rooms"]] == ["Main stage"]
    assert (await third.call("room.enter", {"room": added.pk}))[2] == {"code": "room.unknown"}
    for client in (before, after, third):
        await client.close()


async def test_room_traits_changed_apply_to_the_next_socket(ws, room, token_for):
    await connect(ws, token_for(uid="ticket:warm"))
    await in_scope(
        room.event, lambda: services.room_save(event=room.event, room=room, data={"traits": ["product:7"]})
    )
    client = await connect(ws, token_for(uid="ticket:plain", traits=("product:1",)))
    assert client.welcome["rooms"] == []
    await client.close()


async def test_a_module_added_shows_on_the_next_room_enter(ws, room, token_for):
    client = await connect(ws, token_for(uid="ticket:a"))
    before = await client.ok("room.enter", {"room": room.pk})
    await in_scope(
        room.event,
        lambda: services.module_save(
            room=room, kind="livestream.hls", config={"url": "https://stream.example.org/x.m3u8"}, order=9
        ),
    )
    after = await client.ok("room.enter", {"room": room.pk})
    assert [m["type"] for m in after["room"]["modules"]] == [
        *(m["type"] for m in before["room"]["modules"]),
        "livestream.hls",
    ]
    await client.close()


async def test_moderators_added_and_removed_apply_to_the_next_socket(ws, room, token_for):
    await connect(ws, token_for(uid="ticket:warm"))
    moderator = await in_scope(
        room.event, lambda: services.moderator_add(event=room.event, uid="ticket:mod", room=room)
    )
    appointed = await connect(ws, token_for(uid="ticket:mod"), room)
    assert (await appointed.ok("room.enter", {"room": room.pk}))["room"]["moderator"] is True
    await in_scope(room.event, lambda: services.moderator_remove(moderator=moderator))
    dismissed = await connect(ws, token_for(uid="ticket:mod"))
    assert (await dismissed.ok("room.enter", {"room": room.pk}))["room"]["moderator"] is False
    for client in (appointed, dismissed):
        await client.close()


async def test_a_ban_and_its_lifting_apply_to_the_next_socket(ws, room, token_for, video_event):
    await connect(ws, token_for(uid="ticket:warm"))
    ban = await in_scope(
        video_event, lambda: services.restriction_set(event=video_event, uid="ticket:troll", kind="ban")
    )
    refused = ws()
    await refused.connect()
    await refused.send("authenticate", {"token": token_for(uid="ticket:troll")})
    assert (await refused.receive())[2] == {"code": "auth.banned"}
    await in_scope(video_event, lambda: services.restriction_lift(restriction=ban))
    admitted = await connect(ws, token_for(uid="ticket:troll"))
    assert admitted.welcome["user"]["uid"] == "ticket:troll"
    await admitted.close()


async def test_a_revocation_applies_to_the_next_socket(ws, room, token_for, video_event):
    token = token_for(uid="ticket:alice")
    warm = await connect(ws, token)
    await warm.close()
    await in_scope(video_event, lambda: services.token_revoke(event=video_event, uid="ticket:alice"))
    refused = ws()
    await refused.connect()
    await refused.send("authenticate", {"token": token})
    assert (await refused.receive())[2] == {"code": "auth.revoked_token"}


async def test_announcements_shown_and_hidden_apply_to_the_next_socket(ws, room, token_for, video_event):
    await connect(ws, token_for(uid="ticket:warm"))
    announcement = await in_scope(
        video_event, lambda: services.announcement_create(event=video_event, text="Doors open")
    )
    shown = await connect(ws, token_for(uid="ticket:a"))
    assert [a["text"] for a in shown.welcome["announcements"]] == ["Doors open"]
    await in_scope(video_event, lambda: services.announcement_hide(announcement=announcement))
    hidden = await connect(ws, token_for(uid="ticket:b"))
    assert hidden.welcome["announcements"] == []
    for client in (shown, hidden):
        await client.close()


async def test_switching_the_plugin_off_and_on_applies_to_the_next_socket(ws, room, token_for, video_event):
    await connect(ws, token_for(uid="ticket:warm"))

    def switch(**change: list[str]) -> None:
        event_plugins_update(event=video_event, is_admin=True, **change)

    await in_scope(video_event, lambda: switch(disable=["video"]))
    refused = ws()
    await refused.connect()
    assert (await refused.receive())[2] == {"code": "event.unknown_event"}
    await in_scope(video_event, lambda: switch(enable=["video"]))
    admitted = await connect(ws, token_for(uid="ticket:back"))
    assert admitted.welcome["rooms"]
    await admitted.close()


async def test_a_renamed_event_applies_to_the_next_socket(ws, room, token_for, video_event):
    await (await connect(ws, token_for(uid="ticket:warm"))).close()
    await in_scope(video_event, lambda: event_update(event=video_event, data={"slug": "moved"}))
    refused = ws(event="online")
    await refused.connect()
    assert (await refused.receive())[2] == {"code": "event.unknown_event"}
    moved = ws(event="moved")
    await moved.connect()
    assert (await moved.authenticate(token_for(uid="ticket:moved")))["rooms"]
    await moved.close()


async def test_an_event_created_under_probed_slugs_is_found_at_once(ws, make_event):
    from eventyay_video.tokens import token_issue

    probe = ws(event="later")
    await probe.connect()
    assert (await probe.receive())[2] == {"code": "event.unknown_event"}
    later = await sync_to_async(make_event)(slug="later", plugins=["video"])
    token = await sync_to_async(token_issue)(
        event=later, uid="ticket:later", traits=("attendee",), display_name="L"
    )
    found = ws(event="later")
    await found.connect()
    welcome = await found.authenticate(token)
    assert "rooms" in welcome
    await found.close()
