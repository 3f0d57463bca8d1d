"""The talk plugin's public pages in the page cache: changes show at once, work is constant."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_scopes import scope
from i18nfield.strings import LazyI18nString

from .conftest import url


def _cached_twice(client: Client, path: str) -> Any:
    client.get(path)
    response = client.get(path)
    assert response.status_code == 200
    assert response.wsgi_request.eventyay_page_cache == "hit"
    return response


def test_talk_title_change_shows_at_once_on_every_page(released, talk_event, organizer) -> None:
    from eventyay_talk.services.submissions import submission_update

    submission = released.talk_submissions[3]
    client = Client()
    pages = [
        url(talk_event, "schedule"),
        url(talk_event, "schedule") + "?view=list",
        url(talk_event, "talk", code=submission.code),
        url(talk_event, "speakers"),
    ]
    for page in pages:
        assert "Plain talk" in _cached_twice(client, page).content.decode()
    with scope(organizer=organizer):
        submission_update(submission=submission, data={"title": "Renamed at once"})
    for page in pages:
        html = client.get(page).content.decode()
        assert "Renamed at once" in html, page


def test_speaker_name_change_shows_at_once(released, talk_event, organizer) -> None:
    from eventyay_talk.models import SpeakerProfile
    from eventyay_talk.services.submissions import speaker_profile_update

    with scope(organizer=organizer):
        profile = SpeakerProfile.objects.get(event=talk_event, name="Alice Ångström")
    client = Client()
    page = url(talk_event, "speaker", code=profile.code)
    assert "Alice Ångström" in _cached_twice(client, page).content.decode()
    with scope(organizer=organizer):
        speaker_profile_update(event=talk_event, user=profile.user, data={"name": "Alice Renamed"})
    assert "Alice Renamed" in client.get(page).content.decode()
    assert "Alice Renamed" in client.get(url(talk_event, "speakers")).content.decode()


def test_schedule_release_shows_at_once(released, talk_event, organizer, make_submission, rooms) -> None:
    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import schedule_release, slot_schedule, wip_schedule

    client = Client()
    page = url(talk_event, "schedule")
    assert "Brand new talk" not in _cached_twice(client, page).content.decode()
    with scope(organizer=organizer):
        submission = make_submission(title="Brand new talk", state="confirmed")
        slot = TalkSlot.objects.get(schedule=wip_schedule(event=talk_event), submission=submission)
        slot_schedule(slot=slot, room=rooms[1], start=dt.datetime(2030, 6, 2, 16, 0, tzinfo=dt.UTC))
        # Scheduling in the work-in-progress version is not public yet.
        assert "Brand new talk" not in client.get(page).content.decode()
        schedule_release(event=talk_event, version="v2", notify_speakers=False)
    assert "Brand new talk" in client.get(page).content.decode()
    assert client.get(url(talk_event, "talk", code=submission.code)).status_code == 200


def test_etag_answers_304_until_something_changes(released, talk_event, organizer) -> None:
    from eventyay_talk.models import Room

    client = Client()
    page = url(talk_event, "schedule")
    etag = client.get(page)["ETag"]
    assert client.get(page, HTTP_IF_NONE_MATCH=etag).status_code == 304
    with scope(organizer=organizer):
        room = Room.objects.filter(event=talk_event).first()
        room.name = LazyI18nString({"en": "Hall of Fame"})
        room.save()
    response = client.get(page, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Hall of Fame" in response.content.decode()


def test_logged_in_visitor_sees_their_stars_not_a_cached_page(released, talk_event, make_speaker) -> None:
    from eventyay_talk.models import Submission
    from eventyay_talk.services.stars import star_toggle

    fan = make_speaker("fan@example.org", "Fan")
    code = released.talk_submissions[0].code
    with scope(organizer=talk_event.organizer):
        star_toggle(event=talk_event, user=fan, submission=Submission.objects.get(code=code))
    Client().get(url(talk_event, "schedule"))
    member = Client()
    member.force_login(fan)
    response = member.get(url(talk_event, "schedule"))
    assert getattr(response.wsgi_request, "eventyay_page_cache", None) is None
    assert "ETag" not in response


def test_unknown_speaker_and_talk_are_404_and_not_cached(released, talk_event) -> None:
    client = Client()
    for page in (url(talk_event, "speaker", code="NOPE"), url(talk_event, "talk", code="NOPE")):
        assert client.get(page).status_code == 404
        assert client.get(page).status_code == 404


def test_speaker_without_a_public_talk_is_404(released, talk_event, organizer) -> None:
    from eventyay_talk.models import SpeakerProfile

    with scope(organizer=organizer):
        # The speaker of "Only accepted" (not in the schedule).
        unscheduled = SpeakerProfile.objects.exclude(name="Alice Ångström").exclude(
            user__email="bob@example.org"
        )
        codes = list(unscheduled.values_list("code", flat=True))
    for code in codes:
        assert Client().get(url(talk_event, "speaker", code=code)).status_code == 404


def test_speaker_of_another_event_is_404(released, talk_event, other_organizer, organizer) -> None:
    from eventyay_talk.models import SpeakerProfile

    with scope(organizer=organizer):
        code = SpeakerProfile.objects.get(event=talk_event, name="Alice Ångström").code
    assert Client().get(f"/other/otherconf/speaker/{code}/").status_code == 404


# --- constant work ------------------------------------------------------------------------------


def _conference(make_event: Any, slug: str, talks: int) -> tuple[Any, str, str]:
    """A live event with ``talks`` scheduled talks in a released version; (event, talk code, speaker code)."""
    from eventyay_talk.models import (
        Room,
        Schedule,
        SpeakerProfile,
        Submission,
        SubmissionType,
        TalkSlot,
        Track,
    )

    from eventyay.base.models import User

    event = make_event(slug=slug, plugins=["talk"])
    with scope(organizer=event.organizer):
        stype = SubmissionType.objects.create(
            event=event, name=LazyI18nString({"en": "Talk"}), default_duration=30
        )
        track = Track.objects.create(event=event, name=LazyI18nString({"en": "Main"}), color="#112233")
        rooms = [
            Room.objects.create(event=event, name=LazyI18nString({"en": f"R{n}"}), position=n)
            for n in range(5)
        ]
        users = User.objects.bulk_create(
            User(email=f"s{n}@{slug}.invalid", fullname=f"Speaker {n}", password="!") for n in range(talks)
        )
        SpeakerProfile.objects.bulk_create(
            SpeakerProfile(event=event, user=user, code=f"{slug[:3].upper()}{n:05d}")
            for n, user in enumerate(users)
        )
        submissions = Submission.objects.bulk_create(
            Submission(
                event=event,
                code=f"{slug[:3].upper()}T{n:05d}",
                title=f"Talk {n}",
                abstract="Abstract",
                submission_type=stype,
                track=track,
                state="confirmed",
            )
            for n in range(talks)
        )
        through = Submission.speakers.through
        through.objects.bulk_create(
            [through(submission_id=s.pk, user_id=users[n].pk) for n, s in enumerate(submissions)]
            + [
                through(submission_id=s.pk, user_id=users[(n + 1) % talks].pk)
                for n, s in enumerate(submissions)
            ]
        )
        schedule = Schedule.objects.create(event=event, version="1.0", published=timezone.now())
        start = dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC)
        TalkSlot.objects.bulk_create(
            TalkSlot(
                schedule=schedule,
                submission=submission,
                room=rooms[n % 5],
                start=start + dt.timedelta(minutes=30 * (n // 5)),
                end=start + dt.timedelta(minutes=30 * (n // 5) + 30),
            )
            for n, submission in enumerate(submissions)
        )
    return event, submissions[talks // 2].code, f"{slug[:3].upper()}{talks // 2:05d}"


def _live_queries(path: str) -> int:
    """Queries of rendering ``path`` for a visitor the page cache does not serve (a session cookie)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    client.get(path)
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(context.captured_queries)


@pytest.mark.django_db
def test_public_pages_do_the_same_queries_for_50_and_500_talks(make_event) -> None:
    counts: dict[str, list[int]] = {}
    for slug, talks in (("small", 50), ("large", 500)):
        event, talk_code, speaker_code = _conference(make_event, slug, talks)
        pages = {
            "front page": f"/example/{slug}/",
            "schedule": url(event, "schedule"),
            "schedule list": url(event, "schedule") + "?view=list",
            "talk": url(event, "talk", code=talk_code),
            "speaker": url(event, "speaker", code=speaker_code),
            "speakers": url(event, "speakers"),
        }
        for name, path in pages.items():
            counts.setdefault(name, []).append(_live_queries(path))
    for name, (small, large) in counts.items():
        assert small == large, f"{name}: {small} queries for 50 talks, {large} for 500"


def test_speaker_page_never_builds_the_whole_schedule(released, talk_event, organizer, monkeypatch) -> None:
    from eventyay_talk import selectors
    from eventyay_talk.models import SpeakerProfile

    def whole_schedule(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the speaker page built the whole schedule")

    monkeypatch.setattr(selectors, "schedule_slots", whole_schedule)
    monkeypatch.setattr(selectors, "public_speakers", whole_schedule)
    with scope(organizer=organizer):
        profile = SpeakerProfile.objects.get(event=talk_event, name="Alice Ångström")
    response = Client().get(url(talk_event, "speaker", code=profile.code))
    assert response.status_code == 200
    html = response.content.decode()
    # Alice speaks in three talks of her own and co-speaks in the first one.
    for title in ("日本語のトーク", "Plain talk", "Sixth talk", "Über Fahrpläne"):
        assert title in html
    assert "Ĉu vi parolas?" not in html


# --- exports sent by the web server -------------------------------------------------------------


def test_export_is_handed_to_nginx_as_a_stored_file_with_gzip_twin(released, talk_event, settings) -> None:
    import gzip

    from eventyay_talk.views.exports import EXPORTS_FOLDER

    from eventyay.base.storage import private_storage

    embedded = Client().get(url(talk_event, "export.latest", identifier="xml"))
    assert embedded.status_code == 200 and "X-Accel-Redirect" not in embedded
    settings.PRIVATE_X_ACCEL = True
    response = Client().get(url(talk_event, "export.latest", identifier="xml"))
    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"] == embedded["ETag"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"] == embedded["Content-Type"]
    location = response["X-Accel-Redirect"]
    assert location == f"/_exports/{released.pk}/{embedded['ETag'].strip(chr(34))}.xml"
    name = EXPORTS_FOLDER + "/" + location.removeprefix("/_exports/")
    with private_storage.open(name, "rb") as stored:
        assert stored.read() == embedded.content
    with private_storage.open(name + ".gz", "rb") as compressed:
        assert gzip.decompress(compressed.read()) == embedded.content
    not_modified = Client().get(url(talk_event, "export.latest", identifier="json"), HTTP_IF_NONE_MATCH="x")
    assert not_modified.status_code == 200
    etag = not_modified["ETag"]
    again = Client().get(url(talk_event, "export.latest", identifier="json"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert "X-Accel-Redirect" not in again


def test_export_of_another_organizers_event_is_404_with_x_accel(
    released, talk_event, other_organizer, settings
) -> None:
    settings.PRIVATE_X_ACCEL = True
    assert Client().get("/other/otherconf/schedule.xml").status_code == 404


def test_pages_and_exports_through_the_fast_path_follow_changes_at_once(
    released, talk_event, organizer, make_submission, rooms
) -> None:
    """The ASGI fast path (eventyay.base.services.fast_pages) serves them, and every change shows."""
    import gzip

    from eventyay_talk.models import TalkSlot
    from eventyay_talk.services.schedule import schedule_release, slot_schedule, wip_schedule
    from eventyay_talk.services.submissions import submission_update

    from eventyay.testing.asgi import AsgiClient

    submission = released.talk_submissions[3]
    client = AsgiClient()
    pages = [
        url(talk_event, "schedule"),
        url(talk_event, "talk", code=submission.code),
        url(talk_event, "speakers"),
    ]
    export = url(talk_event, "export.latest", identifier="xml")
    for page in [*pages, export]:
        client.get(page)
        assert client.get(page).served_by == "fast", page
    plain = client.get(export)
    zipped = client.get(export, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped.served_by == "fast" and zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"] and zipped["ETag"] == plain["ETag"]
    assert plain["Access-Control-Allow-Origin"] == "*" and "Last-Modified" in plain
    assert client.get(export, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    with scope(organizer=organizer):
        submission_update(submission=submission, data={"title": "Renamed at once"})
    for page in pages:
        assert "Renamed at once" in client.get(page).content.decode(), page
    with scope(organizer=organizer):
        added = make_submission(title="Brand new talk", state="confirmed")
        slot = TalkSlot.objects.get(schedule=wip_schedule(event=talk_event), submission=added)
        slot_schedule(slot=slot, room=rooms[1], start=dt.datetime(2030, 6, 2, 16, 0, tzinfo=dt.UTC))
        schedule_release(event=talk_event, version="v2", notify_speakers=False)
    released_again = client.get(export, HTTP_IF_NONE_MATCH=plain["ETag"])
    assert released_again.status_code == 200 and b"Brand new talk" in released_again.content
