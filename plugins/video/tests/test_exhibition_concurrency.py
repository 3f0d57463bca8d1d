"""Poster votes and contact requests under concurrency: threads with their own connections.

PostgreSQL only: with SQLite the plugin runs all database work of a process on one thread (see
``consumers.DB_EXECUTOR``), and the in-memory test database refuses concurrent writers outright
("database table is locked") instead of making them wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django_scopes import scope, scopes_disabled
from eventyay_video import exhibition, realtime
from eventyay_video.models import ContactRequest, PosterVote
from eventyay_video.tokens import VideoUser

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Concurrent writers need PostgreSQL: the in-memory SQLite test database refuses them.
    pytest.mark.services,
]

THREADS = 8


@pytest.fixture(autouse=True)
def _no_broadcasts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Broadcasts are collected, not sent: the process's channel layer serves one event loop at
    a time, and every thread here would drive it from a loop of its own."""
    sent: list[Any] = []

    async def collect(message: Any) -> None:
        sent.append(message)

    monkeypatch.setattr(realtime, "send_async", collect)
    return sent


def in_threads(work: Callable[[int], Any], count: int = THREADS) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at once; returns results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected for the assertion below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_simultaneous_votes_are_counted_exactly_once_per_attendee(video_event, _no_broadcasts):
    with scope(organizer=video_event.organizer):
        poster = exhibition.poster_save(event=video_event, data={"title": "Graphene at scale"})

    def vote(i: int) -> int:
        # Half the threads are the same attendee voting twice at once.
        user = VideoUser(uid=f"ticket:{i % (THREADS // 2)}", name=f"Attendee {i}")
        with scope(organizer=video_event.organizer):
            _poster, count = exhibition.poster_vote(
                event=video_event, room_ids=(), user=user, poster_id=poster.pk
            )
        return count

    results = in_threads(vote)
    assert not [r for r in results if isinstance(r, Exception)], results
    with scopes_disabled():
        assert PosterVote.objects.filter(poster=poster).count() == THREADS // 2
        assert sorted(PosterVote.objects.values_list("uid", flat=True)) == [
            f"ticket:{i}" for i in range(THREADS // 2)
        ]
    assert all(1 <= count <= THREADS // 2 for count in results)
    # Every vote's broadcast counts after its commit, so the last ones carry the final count.
    assert max(m["text"].count(f'"votes":{THREADS // 2}') for m in _no_broadcasts) == 1


def test_simultaneous_contact_requests_of_one_attendee_make_one_open_request(video_event):
    with scope(organizer=video_event.organizer):
        booth = exhibition.exhibitor_save(event=video_event, data={"name": "ACME"})
    user = VideoUser(uid="ticket:alice", name="Alice")

    def ask(_i: int) -> int:
        with scope(organizer=video_event.organizer):
            return exhibition.contact_request_create(exhibitor=booth, user=user).pk

    results = in_threads(ask, 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    with scopes_disabled():
        assert ContactRequest.objects.filter(exhibitor=booth, uid="ticket:alice").count() == 1
