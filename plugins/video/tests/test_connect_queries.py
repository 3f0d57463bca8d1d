"""What connecting costs the database, and which changes of the event refuse the next socket.

A warm connect (websocket, ``authenticate``, ``room.enter``, ``chat.join``) runs the chat
history page and nothing else; the event, its plugins, its state and the user's rights come
from caches that every change invalidates at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.db.backends import utils as db_utils
from django_scopes import scope
from eventyay_video import auth_state, consumers, services
from eventyay_video.models import ChatMessage

from eventyay.base.models import ContentVersion
from eventyay.base.services import cache as page_cache
from eventyay.base.services.events import event_delete, event_update

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """SQL run by any thread (the consumer's database work runs on a pool of threads); the
    viewer sample, stored once a minute by a background task, is left out."""
    monkeypatch.setattr(consumers, "_record_sample", lambda room_id, count: None)
    seen: list[str] = []
    lock = threading.Lock()
    original = db_utils.CursorWrapper._execute_with_wrappers

    def counting(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        with lock:
            seen.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(db_utils.CursorWrapper, "_execute_with_wrappers", counting)
    yield seen


@pytest.fixture
def shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache as with Redis: the content version is read from the cache, not the database.

    Tests run in one process, so the local-memory cache of the embedded mode stands in for it.
    """
    monkeypatch.setattr(page_cache, "cache_is_shared", lambda: True)


def without_version_reads(sql: list[str]) -> list[str]:
    """With a cache per process (the embedded mode) each socket reads the content version row."""
    table = ContentVersion._meta.db_table
    return [statement for statement in sql if table not in statement]


async def connect(ws: Any, token: str, room: Any = None) -> Any:
    client = ws()
    await client.connect()
    client.welcome = await client.authenticate(token)
    if room is not None:
        await client.ok("room.enter", {"room": room.pk})
        await client.ok("chat.join", {"channel": room.channel.pk, "count": 1})
    return client


async def refused(ws: Any, token: str) -> list[Any]:
    client = ws()
    await client.connect()
    await client.send("authenticate", {"token": token})
    return await client.receive()


async def test_a_warm_connect_runs_only_the_chat_history_page(ws, room, token_for, statements):
    first = await connect(ws, token_for(uid="ticket:first"), room)
    statements.clear()
    second = await connect(ws, token_for(uid="ticket:second"), room)
    history = ChatMessage._meta.db_table
    assert [history in sql for sql in without_version_reads(statements)] == [True], statements
    for client in (first, second):
        await client.close()


async def test_a_warm_connect_with_the_shared_cache_reads_no_version_row(
    ws, room, token_for, statements, shared_cache
):
    await (await connect(ws, token_for(uid="ticket:warm"), room)).close()
    statements.clear()
    client = await connect(ws, token_for(uid="ticket:again"), room)
    assert len(statements) == 1 and ChatMessage._meta.db_table in statements[0], statements
    await client.close()


def test_threads_asking_for_a_cold_state_at_once_load_it_once(video_event, monkeypatch):
    loads: list[int] = []
    gate = threading.Barrier(4)
    original = auth_state.state_load

    def slow_load(event: Any) -> Any:
        loads.append(event.pk)
        return original(event)

    monkeypatch.setattr(auth_state, "state_load", slow_load)
    results: list[Any] = []

    def connect_thread() -> None:
        gate.wait()
        try:
            with scope(organizer=video_event.organizer):
                results.append(auth_state.event_state(video_event))
        finally:
            connection.close()  # the thread's own connection, back to the pool

    threads = [threading.Thread(target=connect_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and loads == [video_event.pk]
    assert all(state is results[0] for state in results)


def test_the_loader_has_its_database_connection_before_it_takes_the_lock(video_event, monkeypatch):
    """Lock order: the pool's connection first, then the load lock (waiters hold connections)."""
    connected_when_taken: list[bool] = []

    class WatchedLock:
        def __init__(self) -> None:
            self._lock = threading.Lock()

        def __enter__(self) -> Any:
            connected_when_taken.append(connection.connection is not None)
            return self._lock.__enter__()

        def __exit__(self, *exc: Any) -> Any:
            return self._lock.__exit__(*exc)

    monkeypatch.setitem(page_cache._builders, ("video:state", video_event.pk), WatchedLock())
    auth_state._local.pop(video_event.pk, None)
    organizer = video_event.organizer
    connection.close()
    with scope(organizer=organizer):
        auth_state.event_state(video_event)
    assert connected_when_taken == [True]


async def test_a_deleted_event_refuses_the_next_socket_at_once(ws, video_event, token_for, shared_cache):
    token = token_for(uid="ticket:before")
    await (await connect(ws, token)).close()
    with_slugs = (video_event.organizer.slug, video_event.slug)
    await sync_to_async(lambda: _delete(video_event))()
    assert await refused(ws, token) == ["error", None, {"code": "event.unknown_event"}]
    assert await sync_to_async(auth_state.event_by_slugs)(*with_slugs) is None


def _delete(event: Any) -> None:
    with scope(organizer=event.organizer):
        event_delete(event=event)


async def test_an_event_created_again_under_deleted_slugs_is_found(ws, video_event, make_event, shared_cache):
    from eventyay_video.tokens import token_issue

    await sync_to_async(lambda: _delete(video_event))()
    again = await sync_to_async(make_event)(slug=video_event.slug, plugins=["video"])
    token = await sync_to_async(token_issue)(event=again, uid="ticket:new", traits=("attendee",))
    client = await connect(ws, token)
    assert client.welcome["user"]["uid"] == "ticket:new"
    await client.close()


async def test_an_event_switched_off_refuses_attendees_at_once_but_not_the_team(
    ws, room, video_event, token_for, shared_cache
):
    await (await connect(ws, token_for(uid="ticket:warm"))).close()

    def switch(live: bool) -> None:
        with scope(organizer=video_event.organizer):
            event_update(event=video_event, data={"live": live})

    await sync_to_async(switch)(False)
    attendee = ws()
    await attendee.connect()
    await attendee.send("authenticate", {"token": token_for(uid="ticket:late")})
    assert await attendee.receive() == ["error", None, {"code": "event.unknown_event"}]
    assert (await attendee.communicator.receive_output(timeout=2))["code"] == 4404
    team = await connect(ws, token_for(uid="team:1", traits=("role:organizer",)))
    assert [r["name"] for r in team.welcome["rooms"]] == ["Main stage"]
    await team.close()
    await sync_to_async(switch)(True)
    back = await connect(ws, token_for(uid="ticket:late"))
    assert back.welcome["rooms"]
    await back.close()


async def test_a_room_change_reaches_a_socket_of_a_warm_event_at_once(ws, room, token_for, shared_cache):
    await (await connect(ws, token_for(uid="ticket:warm"), room)).close()

    def rename() -> None:
        with scope(organizer=room.event.organizer):
            services.room_save(event=room.event, room=room, data={"name": "Plenary"})

    await sync_to_async(rename)()
    client = await connect(ws, token_for(uid="ticket:next"))
    assert [r["name"] for r in client.welcome["rooms"]] == ["Plenary"]
    await client.close()
