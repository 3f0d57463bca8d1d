"""BigBlueButton server pool: checksums, choosing a server, sticky meetings, joins, recordings,
failures, and the control pages of the pool; against the in-process fake BigBlueButton."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import bbb, services
from eventyay_video.models import BBBMeeting, BBBServer, Module
from eventyay_video.selectors import module_dict
from eventyay_video.tokens import VideoUser

from eventyay.base.models import User
from eventyay.base.secrets import is_encrypted
from eventyay.base.services.teams import team_member_add, team_save

from .fakebbb import FakeBBB

SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"


@pytest.fixture(autouse=True)
def _private_targets(settings: Any) -> None:
    """The fake servers run on 127.0.0.1, which the SSRF guard refuses by default."""
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True


@pytest.fixture
def make_fake() -> Iterator[Callable[..., FakeBBB]]:
    fakes: list[FakeBBB] = []

    def factory(**kwargs: Any) -> FakeBBB:
        fake = FakeBBB(secret=SECRET, **kwargs).start()
        fakes.append(fake)
        return fake

    yield factory
    for fake in fakes:
        fake.stop()


@pytest.fixture
def add_server(video_event: Any) -> Callable[..., BBBServer]:
    def factory(fake: FakeBBB, **data: Any) -> BBBServer:
        with scope(organizer=video_event.organizer):
            return bbb.bbb_server_save(
                organizer=video_event.organizer, data={"url": fake.url, "secret": SECRET, **data}
            )

    return factory


@pytest.fixture
def call_room(make_room: Callable[..., Any], video_event: Any) -> Any:
    room = make_room("Workshop", kinds=())
    with scope(organizer=video_event.organizer):
        services.module_save(
            room=room,
            kind=Module.Kind.CALL_BBB,
            config={"record": True, "moderator_traits": ["role:speaker"]},
        )
    return room


def join(room: Any, user: VideoUser, *, moderator: bool = False) -> str:
    with scope(organizer=room.event.organizer):
        module = room.modules.get(kind=Module.Kind.CALL_BBB)
        return bbb.room_join_url(room=room, config=module.config, user=user, room_moderator=moderator)


def params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


ADA = VideoUser(uid="ticket:ada", name="Ada L", traits=frozenset({"attendee"}))


# --- checksums ---------------------------------------------------------------------------------


def test_checksum_matches_the_documented_example():
    query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
    assert bbb.api_checksum("create", query, SECRET, "sha1") == "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    assert (
        bbb.api_checksum("create", query, SECRET)
        == hashlib.sha256(f"create{query}{SECRET}".encode()).hexdigest()
    )


def test_signed_urls_pass_the_fake_servers_check_and_tampered_ones_fail(make_fake, add_server, video_event):
    fake = make_fake()
    server = add_server(fake)
    url = bbb.api_url(server, "getMeetings", {})
    assert "<returncode>SUCCESS</returncode>" in requests.get(url, timeout=5).text
    url = bbb.api_url(server, "isMeetingRunning", {"meetingID": "a"})
    tampered = url.replace("meetingID=a", "meetingID=b")
    answer = requests.get(tampered, timeout=5).text
    assert "<returncode>FAILED</returncode>" in answer and "<messageKey>checksumError</messageKey>" in answer


def test_sha1_is_used_where_the_server_is_set_to_it(make_fake, add_server):
    fake = make_fake(algorithms=("sha1",))
    sha256_server = add_server(fake)
    with pytest.raises(bbb.BBBError, match="checksumError"):
        bbb.api_call(sha256_server, "getMeetings", {})
    sha1_server = add_server(fake, checksum="sha1")
    assert bbb.api_call(sha1_server, "getMeetings", {}).findtext("returncode") == "SUCCESS"
    assert len(params(bbb.api_url(sha1_server, "getMeetings", {}))["checksum"]) == 40


def test_wrong_secret_is_a_clear_error(make_fake, video_event):
    fake = make_fake()
    with scope(organizer=video_event.organizer):
        server = bbb.bbb_server_save(
            organizer=video_event.organizer, data={"url": fake.url, "secret": "wrong"}
        )
    with pytest.raises(bbb.BBBError, match="checksumError"):
        bbb.api_call(server, "getMeetings", {})


# --- choosing a server -------------------------------------------------------------------------


def _preload(fake: FakeBBB, count: int) -> None:
    for number in range(count):
        fake.meetings[f"other-{number}"] = {"name": "x", "record": "false", "created": 0, "joined": []}


def test_the_least_loaded_server_gets_the_meeting(make_fake, add_server, call_room):
    busy, quiet = make_fake(), make_fake()
    _preload(busy, 2)
    add_server(busy)
    quiet_server = add_server(quiet)
    url = join(call_room, ADA)
    assert url.startswith(quiet.url) and len(quiet.calls("create")) == 1 and not busy.calls("create")
    with scope(organizer=call_room.event.organizer):
        assert BBBMeeting.objects.get(room=call_room).server == quiet_server


def test_weight_counts_in_the_choice(make_fake, add_server, call_room):
    big, small = make_fake(), make_fake()
    _preload(big, 2)
    _preload(small, 1)
    add_server(big, weight=3)
    add_server(small, weight=1)
    assert join(call_room, ADA).startswith(big.url)


def test_full_and_inactive_servers_get_no_meeting(make_fake, add_server, call_room):
    full, off, free = make_fake(), make_fake(), make_fake()
    _preload(full, 1)
    _preload(free, 5)
    add_server(full, max_rooms=1)
    add_server(off, active=False)
    add_server(free)
    assert join(call_room, ADA).startswith(free.url)
    assert not off.requests


def test_meeting_counts_are_cached_briefly(make_fake, add_server, call_room, make_room, video_event):
    fake = make_fake()
    add_server(fake)
    join(call_room, ADA)
    second = make_room("Second", kinds=(Module.Kind.CALL_BBB,))
    join(second, ADA)
    assert len(fake.calls("getMeetings")) == 1


def test_meeting_stays_on_its_server_while_it_exists(make_fake, add_server, call_room):
    first, second = make_fake(), make_fake()
    add_server(first)
    add_server(second)
    url = join(call_room, ADA)
    host = first if url.startswith(first.url) else second
    other = second if host is first else first
    _preload(host, 10)
    cache.clear()
    for _attempt in range(3):
        assert join(call_room, VideoUser(uid="ticket:bob", name="Bob")).startswith(host.url)
    assert len(host.calls("create")) == 1 and not other.calls("create")


def test_ended_meeting_is_placed_again(make_fake, add_server, call_room):
    first, second = make_fake(), make_fake()
    add_server(first)
    add_server(second)
    url = join(call_room, ADA)
    host, other = (first, second) if url.startswith(first.url) else (second, first)
    meeting_id = params(url)["meetingID"]
    host.end(meeting_id)
    _preload(host, 3)
    cache.clear()
    again = join(call_room, ADA)
    assert again.startswith(other.url) and params(again)["meetingID"] == meeting_id
    assert other.calls("create")[0]["record"] == "true"


# --- joining -----------------------------------------------------------------------------------


def test_attendees_join_as_viewers_and_moderators_as_moderators(make_fake, add_server, call_room):
    fake = make_fake()
    add_server(fake)
    attendee = join(call_room, ADA)
    speaker = join(call_room, VideoUser(uid="ticket:sp", name="Speaker", traits=frozenset({"role:speaker"})))
    moderator = join(call_room, VideoUser(uid="ticket:mod", name="Mod"), moderator=True)
    assert params(attendee)["role"] == "VIEWER" and params(attendee)["fullName"] == "Ada L"
    assert params(speaker)["role"] == "MODERATOR" and params(moderator)["role"] == "MODERATOR"
    for url in (attendee, speaker, moderator):
        response = requests.get(url, timeout=5, allow_redirects=False)
        assert response.status_code == 302, response.text
    meeting = next(iter(fake.meetings.values()))
    assert meeting["joined"] == [
        ("ticket:ada", "VIEWER"),
        ("ticket:sp", "MODERATOR"),
        ("ticket:mod", "MODERATOR"),
    ]


def test_room_config_names_the_join_action_and_no_secret(make_fake, add_server, call_room):
    add_server(make_fake())
    with scope(organizer=call_room.event.organizer):
        module = call_room.modules.get(kind=Module.Kind.CALL_BBB)
        data = module_dict(module, user=ADA, moderator=False)
    assert data["config"] == {"join_action": "bbb.room_url"}
    assert SECRET not in str(data)


# --- failures ----------------------------------------------------------------------------------


def test_a_failing_server_is_skipped(make_fake, add_server, call_room):
    broken, working = make_fake(), make_fake()
    broken.fail_status = 502
    add_server(broken)
    add_server(working)
    assert join(call_room, ADA).startswith(working.url)


def test_a_server_that_fails_on_create_is_left_out(make_fake, add_server, call_room):
    flaky, working = make_fake(), make_fake()
    _preload(working, 1)
    add_server(flaky)
    add_server(working)
    with scopes_disabled():
        flaky_server = BBBServer.objects.get(url=flaky.url)
    assert bbb.server_load(flaky_server) == 0
    flaky.fail_status = 500
    assert join(call_room, ADA).startswith(working.url)


def test_no_server_available_is_a_clear_error(make_fake, add_server, call_room):
    fake = make_fake()
    add_server(fake, active=False)
    with pytest.raises(bbb.BBBError, match="No BigBlueButton server is available"):
        join(call_room, ADA)


def test_server_of_another_organizer_is_never_used(make_fake, other_organizer, call_room):
    fake = make_fake()
    with scope(organizer=other_organizer):
        bbb.bbb_server_save(organizer=other_organizer, data={"url": fake.url, "secret": SECRET})
    with pytest.raises(bbb.BBBError):
        join(call_room, ADA)
    assert not fake.requests


# --- recordings --------------------------------------------------------------------------------


def control(event: Any, name: str, **kwargs: Any) -> str:
    return reverse(
        f"plugins:video:control.{name}",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs},
    )


def test_recordings_page_lists_the_events_recordings(
    client_for, user, make_fake, add_server, call_room, video_event
):
    fake = make_fake()
    add_server(fake)
    meeting_id = params(join(call_room, ADA))["meetingID"]
    fake.add_recording(meeting_id, "Workshop, day 1")
    fake.add_recording("someone-elses-meeting", "Not ours")
    page = client_for(user).get(control(video_event, "recordings")).content.decode()
    assert "Workshop, day 1" in page and "Not ours" not in page
    assert "playback/presentation" in page
    assert fake.calls("getRecordings")[0]["meetingID"] == meeting_id


def test_recordings_page_reports_a_failing_server(
    client_for, user, make_fake, add_server, call_room, video_event
):
    fake = make_fake()
    add_server(fake)
    join(call_room, ADA)
    fake.fail_status = 503
    response = client_for(user).get(control(video_event, "recordings"))
    assert response.status_code == 200 and "status 503" in response.content.decode()


# --- control pages -----------------------------------------------------------------------------


def test_add_a_server_stores_the_secret_encrypted_and_never_shows_it(
    client_for, user, video_event, make_fake
):
    fake = make_fake()
    admin = client_for(user)
    response = admin.post(
        control(video_event, "servers"),
        {
            "bbb-url": fake.url,
            "bbb-secret": SECRET,
            "bbb-checksum": "sha256",
            "bbb-weight": 2,
            "bbb-max_rooms": 0,
            "bbb-active": "on",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        server = BBBServer.objects.get(organizer=video_event.organizer)
    assert is_encrypted(server.secret) and SECRET not in server.secret and server.weight == 2
    page = admin.get(control(video_event, "servers.bbb", server=server.pk)).content.decode()
    assert SECRET not in page and fake.url in page
    kept = admin.post(
        control(video_event, "servers.bbb", server=server.pk),
        {"bbb-url": fake.url, "bbb-secret": "", "bbb-checksum": "sha1", "bbb-weight": 1, "bbb-max_rooms": 3},
    )
    assert kept.status_code == 302
    with scopes_disabled():
        server.refresh_from_db()
    assert server.checksum == "sha1" and not server.active and server.max_rooms == 3
    assert bbb.api_call(server, "getMeetings", {}) is not None


def test_adding_a_server_needs_a_secret_and_a_valid_url(client_for, user, video_event, make_fake):
    admin = client_for(user)
    no_secret = admin.post(
        control(video_event, "servers"),
        {"bbb-url": make_fake().url, "bbb-checksum": "sha256", "bbb-weight": 1, "bbb-max_rooms": 0},
    )
    assert (
        no_secret.status_code == 200
        and "Enter the shared secret of the server." in no_secret.content.decode()
    )
    bad_url = admin.post(
        control(video_event, "servers"),
        {
            "bbb-url": "not a url",
            "bbb-secret": "x",
            "bbb-checksum": "sha256",
            "bbb-weight": 1,
            "bbb-max_rooms": 0,
        },
    )
    assert bad_url.status_code == 200 and "Enter a valid URL." in bad_url.content.decode()


def test_delete_a_server(client_for, user, video_event, make_fake, add_server):
    server = add_server(make_fake())
    response = client_for(user).post(control(video_event, "servers.bbb", server=server.pk), {"delete": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        assert not BBBServer.objects.filter(pk=server.pk).exists()


def test_server_pages_of_another_organizer_are_404(
    client_for, other_organizer, video_event, make_fake, add_server
):
    server = add_server(make_fake())
    outsider = client_for(other_organizer.member)
    assert outsider.get(control(video_event, "servers")).status_code == 404
    assert outsider.get(control(video_event, "servers.bbb", server=server.pk)).status_code == 404
    assert (
        outsider.post(control(video_event, "servers.bbb", server=server.pk), {"delete": "1"}).status_code
        == 404
    )
    assert outsider.get(control(video_event, "recordings")).status_code == 404
    with scopes_disabled():
        assert BBBServer.objects.filter(pk=server.pk).exists()


def test_server_of_another_organizer_is_404_on_this_events_page(
    client_for, user, other_organizer, video_event, make_fake
):
    with scope(organizer=other_organizer):
        foreign = bbb.bbb_server_save(
            organizer=other_organizer, data={"url": make_fake().url, "secret": SECRET}
        )
    assert client_for(user).get(control(video_event, "servers.bbb", server=foreign.pk)).status_code == 404


def test_server_pages_need_the_organizer_settings_permission(client_for, organizer, video_event):
    helper = User.objects.create_user("helper@example.org", "another horse battery")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Video", permissions=["event.video:write"], all_events=True
        )
        team_member_add(team=team, user=helper)
    member = client_for(helper)
    assert member.get(control(video_event, "rooms")).status_code == 200
    assert member.get(control(video_event, "servers")).status_code == 403
    assert member.get(control(video_event, "recordings")).status_code == 200


def test_migration_moves_call_module_secrets_into_encrypted_pool_servers(call_room, video_event):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("eventyay_video.migrations.0004_server_pools")
    with scope(organizer=video_event.organizer):
        Module.objects.filter(room=call_room, kind=Module.Kind.CALL_BBB).update(
            config={
                "server": "https://bbb.example.org/bigbluebutton/",
                "secret": "plain-old",
                "meeting_id": "m",
            }
        )
    with scopes_disabled():
        # Historical models in a migration have no scopes; the registry's models do.
        migration.bbb_configs_to_servers(apps, None)
        server = BBBServer.objects.get(organizer=video_event.organizer)
        config = Module.objects.get(room=call_room, kind=Module.Kind.CALL_BBB).config
    assert server.url == "https://bbb.example.org/bigbluebutton/" and server.checksum == "sha1"
    assert is_encrypted(server.secret) and "plain-old" not in server.secret
    assert "plain-old" not in str(config) and config["moderator_traits"] == []
