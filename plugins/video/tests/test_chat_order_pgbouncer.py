"""Behind PgBouncer (``EVENTYAY_DB_PGBOUNCER``) a chat channel's send order is a Redis key, not a session lock.

Needs PostgreSQL and Redis (the services mode); skipped in the embedded mode.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.db.backends import utils as db_utils
from django_scopes import scope
from eventyay_video import realtime, services
from eventyay_video.tokens import VideoUser

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (django_settings.DATABASE_IS_POSTGRES and django_settings.REDIS_URL),
        reason="the Redis order lock is for PostgreSQL behind PgBouncer, with Redis",
    ),
]


@pytest.fixture
def pgbouncer(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """PgBouncer mode; collects every statement, so a session lock would be seen."""
    settings.DB_PGBOUNCER = True
    statements: list[str] = []
    original = db_utils.CursorWrapper._execute_with_wrappers

    def counting(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(db_utils.CursorWrapper, "_execute_with_wrappers", counting)
    return statements


def _key(room: Any) -> str:
    return f"eventyay_video:chat-order:{room.channel.pk}"


def test_messages_sent_by_many_threads_are_published_in_the_order_of_their_ids(
    room: Any, video_event: Any, pgbouncer: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[int] = []
    held_while_publishing: list[bool] = []
    original_send = realtime._send

    def send(message: dict[str, Any]) -> None:
        # Runs after the message's commit: the broadcast itself, in the order it leaves.
        held_while_publishing.append(cache.get(_key(room)) is not None)
        published.append(json.loads(message["text"])[1]["id"])
        original_send(message)

    monkeypatch.setattr(realtime, "_send", send)
    errors: list[BaseException] = []

    def sender(n: int) -> None:
        try:
            with scope(organizer=video_event.organizer):
                for index in range(5):
                    services.chat_message_send(
                        event=video_event,
                        channel=room.channel,
                        user=VideoUser(uid=f"ticket:{n}", name=f"Sender {n}"),
                        content=f"message {n}.{index}",
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(published) == 20
    assert published == sorted(published)
    assert all(held_while_publishing)
    assert cache.get(_key(room)) is None  # released by each sender
    assert not any("pg_advisory" in sql for sql in pgbouncer), "a session lock does not survive PgBouncer"


def test_a_holder_that_died_stops_the_channel_only_for_its_lease(
    room: Any, video_event: Any, pgbouncer: list[str]
) -> None:
    cache.add(_key(room), "a process that died", timeout=1)
    started = time.monotonic()
    with scope(organizer=video_event.organizer):
        message = services.chat_message_send(
            event=video_event, channel=room.channel, user=VideoUser(uid="ticket:a", name="A"), content="hello"
        )
    waited = time.monotonic() - started
    assert message.pk is not None
    assert 0.5 <= waited < services.CHAT_ORDER_LEASE
    assert cache.get(_key(room)) is None
