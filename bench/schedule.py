"""Benchmark: rendering the public schedule and its exports for a large conference.

Builds a conference of 500 confirmed talks (two speakers on every fifth), 10 rooms and
4 days, releases it (which renders and stores the XML, JSON and iCal exports once) and then
measures, for the public schedule page (grid and list) and the exports:

- requests per second of one in-process client (Django's test client through the whole
  middleware stack, no sockets: nothing leaves the machine), and
- database queries per request,

next to the event's front page (core, no talk data) as a baseline for the machine,

and checks that the query count of each URL is the same as for a 50-talk conference.

Run from the repository root (a throwaway test database is created and dropped)::

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench .venv/bin/python bench/schedule.py
    EVENTYAY_DATA_DIR=/tmp/eventyay-bench .venv/bin/python bench/schedule.py --quick

With ``EVENTYAY_DB_URL`` and ``EVENTYAY_REDIS_URL`` set, it runs on PostgreSQL and Redis.
Exit status 1 if a query count depends on the number of talks or a request fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django_scopes import scope  # noqa: E402
from i18nfield.strings import LazyI18nString  # noqa: E402

from eventyay.base.models import User  # noqa: E402
from eventyay.base.services.events import event_create  # noqa: E402
from eventyay.base.services.organizers import organizer_create  # noqa: E402

ROOMS = 10
DAYS = 4


def build(slug: str, talks: int) -> Any:
    """A conference with ``talks`` confirmed talks spread over ``DAYS`` days and ``ROOMS`` rooms."""
    from eventyay_talk.models import Room, SpeakerProfile, Submission, SubmissionType, TalkSlot, Track
    from eventyay_talk.models.codes import generate_code
    from eventyay_talk.services.schedule import schedule_release, wip_schedule

    organizer = organizer_create(name=f"Bench {slug}", slug=slug)
    with scope(organizer=organizer), transaction.atomic():
        start = dt.datetime(2030, 9, 1, 7, 0, tzinfo=dt.UTC)
        event = event_create(
            organizer=organizer,
            data={
                "name": {"en": f"BenchCon {talks}"},
                "slug": "benchcon",
                "date_from": start,
                "date_to": start + dt.timedelta(days=DAYS - 1, hours=11),
                "timezone": "Europe/Berlin",
                "live": True,
            },
            plugins=["talk"],
            is_admin=True,
        )
        stype = SubmissionType.objects.create(
            event=event, name=LazyI18nString({"en": "Talk"}), default_duration=40
        )
        tracks = [
            Track.objects.create(event=event, name=LazyI18nString({"en": f"Track {n}"}), color=f"#{n}{n}3366")
            for n in range(1, 6)
        ]
        rooms = [
            Room.objects.create(event=event, name=LazyI18nString({"en": f"Room {n + 1}"}), position=n)
            for n in range(ROOMS)
        ]
        speakers = User.objects.bulk_create(
            User(email=f"speaker{n}@{slug}.invalid", fullname=f"Speaker Nº{n}", password="!")
            for n in range(talks)
        )
        SpeakerProfile.objects.bulk_create(
            SpeakerProfile(event=event, user=user, code=f"S{n:05d}", biography="Bio " * 20)
            for n, user in enumerate(speakers)
        )
        codes: set[str] = set()
        while len(codes) < talks:
            codes.add(generate_code())
        submissions = Submission.objects.bulk_create(
            Submission(
                event=event,
                code=code,
                title=f"Talk {n}: Über the schedule",
                abstract="An abstract. " * 10,
                description="A description. " * 30,
                submission_type=stype,
                track=tracks[n % len(tracks)],
                state="confirmed",
            )
            for n, code in enumerate(sorted(codes))
        )
        through = Submission.speakers.through
        links = [through(submission_id=s.pk, user_id=speakers[n].pk) for n, s in enumerate(submissions)]
        links += [
            through(submission_id=s.pk, user_id=speakers[(n + 1) % talks].pk)
            for n, s in enumerate(submissions)
            if n % 5 == 0
        ]
        through.objects.bulk_create(links)
        wip = wip_schedule(event=event)
        per_room_day = -(-talks // (ROOMS * DAYS))
        slots = []
        for n, submission in enumerate(submissions):
            room = rooms[n % ROOMS]
            day = (n // ROOMS) % DAYS
            index = n // (ROOMS * DAYS)
            begin = start + dt.timedelta(days=day, minutes=45 * (index % per_room_day))
            slots.append(
                TalkSlot(
                    schedule=wip,
                    submission=submission,
                    room=room,
                    start=begin,
                    end=begin + dt.timedelta(minutes=40),
                )
            )
        TalkSlot.objects.bulk_create(slots)
        started = time.perf_counter()
        schedule_release(event=event, version="1.0", notify_speakers=False)
        release_seconds = time.perf_counter() - started
    return event, release_seconds


def measure(client: Client, path: str, requests: int) -> tuple[float, int, int]:
    """(requests per second, queries per request, response bytes) for ``path``.

    Queries are counted on a repeated request (after a first one), as a visitor gets it.
    """
    client.get(path)
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    elapsed = time.perf_counter() - started
    return requests / elapsed, len(queries), len(response.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer requests per URL (for checking the script)"
    )
    parser.add_argument("--talks", type=int, default=500)
    args = parser.parse_args()
    page_requests, export_requests = (5, 20) if args.quick else (30, 300)

    old_config = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        small, _ = build("small", 50)
        large, release_seconds = build("large", args.talks)
        urls = {
            "event front page": ("", export_requests),
            "schedule/ (grid)": ("schedule/", page_requests),
            "schedule/?view=list": ("schedule/?view=list", page_requests),
            "schedule.xml": ("schedule.xml", export_requests),
            "schedule.json": ("schedule.json", export_requests),
            "schedule.ics": ("schedule.ics", export_requests),
            "schedule/v/1.0.xml": ("schedule/v/1.0.xml", export_requests),
        }
        client = Client()
        failures = 0
        print(
            f"{args.talks} talks, {ROOMS} rooms, {DAYS} days; release with export rendering: {release_seconds:.2f} s"
        )
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(
            f"{'URL':<22} {'req/s':>9} {'ms/req':>8} {'uncached ms':>12} {'queries':>8} {'(50 talks)':>10} {'bytes':>10}"
        )
        for label, (suffix, requests) in urls.items():
            small_path = f"/small/benchcon/{suffix}"
            if not suffix:
                label = f"{label} (core)"
            large_path = f"/large/benchcon/{suffix}"
            _rate, small_queries, _size = measure(client, small_path, 1)
            started = time.perf_counter()
            client.get(f"{large_path}{'&' if '?' in large_path else '?'}tz=UTC")
            first_ms = (time.perf_counter() - started) * 1000
            rate, queries, size = measure(client, large_path, requests)
            flag = "" if queries == small_queries else "  <-- grows with the talks"
            failures += bool(flag)
            print(
                f"{label:<22} {rate:>9.1f} {1000 / rate:>8.2f} {first_ms:>12.1f} {queries:>8} "
                f"{small_queries:>10} {size:>10}{flag}"
            )
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        return 1 if failures else 0
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
