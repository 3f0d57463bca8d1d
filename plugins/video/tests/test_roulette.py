"""Networking roulette: matching rules, calls (Jitsi or Janus) and the websocket actions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import roulette, services
from eventyay_video.models import JanusServer, Module, RouletteCall, RouletteRequest, UserBlock
from eventyay_video.tokens import VideoUser

from eventyay.base.secrets import secret_encrypt

from .janus_servers import ADMIN_KEY, API_SECRET, FakeJanusState, fake_janus

JITSI = "https://jitsi.example.org/"


@pytest.fixture
def networking_room(make_room: Callable[..., Any], video_event: Any) -> Any:
    room = make_room(name="Networking", kinds=(Module.Kind.CHAT,))
    with scope(organizer=video_event.organizer):
        services.module_save(
            room=room, kind=Module.Kind.NETWORKING_ROULETTE, config={"jitsi_url": JITSI}, order=5
        )
    return room


@pytest.fixture
def janus_state(video_event: Any, settings: Any) -> Iterator[FakeJanusState]:
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    with fake_janus() as (url, state):
        with scope(organizer=video_event.organizer):
            JanusServer.objects.create(
                organizer=video_event.organizer,
                url=url,
                api_secret=secret_encrypt(API_SECRET),
                admin_key=secret_encrypt(ADMIN_KEY),
            )
        yield state


def person(name: str) -> VideoUser:
    return VideoUser(uid=f"ticket:{name}", name=name.title())


def start(room: Any, name: str) -> RouletteRequest:
    with scope(organizer=room.event.organizer):
        return roulette.roulette_start(room=room, user=person(name))


def state_of(room: Any) -> dict[str, tuple[str, str]]:
    """uid → (state, partner uid) of everyone in the room's roulette."""
    with scopes_disabled():
        return {r.uid: (r.state, r.partner_uid) for r in RouletteRequest.objects.filter(room=room)}


# --- matching rules (services) -------------------------------------------------------------------


@pytest.mark.django_db
class TestMatching:
    def test_first_user_waits_and_second_is_matched_with_a_jitsi_call(self, networking_room):
        assert start(networking_room, "alice").state == RouletteRequest.State.WAITING
        bob = start(networking_room, "bob")
        assert bob.state == RouletteRequest.State.MATCHED and bob.partner_uid == "ticket:alice"
        assert state_of(networking_room)["ticket:alice"] == ("matched", "ticket:bob")
        with scopes_disabled():
            answer = roulette.request_dict(RouletteRequest.objects.get(uid="ticket:alice"))
        assert answer["match"]["partner"] == {"uid": "ticket:bob", "name": "Bob"}
        assert answer["match"]["call"]["type"] == "jitsi"
        assert answer["match"]["call"]["url"].startswith(JITSI + "eventyay-")

    def test_oldest_waiting_user_is_matched_first(self, networking_room, video_event):
        with scopes_disabled():
            UserBlock.objects.create(event=video_event, uid="ticket:alice", blocked_uid="ticket:bob")
        start(networking_room, "alice")
        start(networking_room, "bob")
        assert state_of(networking_room)["ticket:bob"] == ("waiting", "")
        start(networking_room, "carol")
        # Alice waited longest: she gets Carol, not Bob.
        assert state_of(networking_room) == {
            "ticket:alice": ("matched", "ticket:carol"),
            "ticket:carol": ("matched", "ticket:alice"),
            "ticket:bob": ("waiting", ""),
        }

    def test_blocked_users_are_never_matched_in_either_direction(self, networking_room, video_event):
        with scopes_disabled():
            UserBlock.objects.create(event=video_event, uid="ticket:bob", blocked_uid="ticket:alice")
        start(networking_room, "alice")
        start(networking_room, "bob")
        assert state_of(networking_room) == {"ticket:alice": ("waiting", ""), "ticket:bob": ("waiting", "")}
        with scopes_disabled():
            assert roulette.is_blocked(event_id=video_event.pk, a="ticket:alice", b="ticket:bob")
            assert not roulette.is_blocked(event_id=video_event.pk, a="ticket:alice", b="ticket:carol")

    def test_skip_never_rematches_the_same_pair_in_a_row(self, networking_room):
        start(networking_room, "alice")
        start(networking_room, "bob")
        with scope(organizer=networking_room.event.organizer):
            skipped = roulette.roulette_skip(room=networking_room, user=person("alice"))
        assert skipped.state == RouletteRequest.State.WAITING
        assert state_of(networking_room) == {"ticket:alice": ("waiting", ""), "ticket:bob": ("waiting", "")}
        start(networking_room, "carol")
        # Bob was skipped, so he is queued before Alice and meets Carol first.
        assert state_of(networking_room)["ticket:bob"] == ("matched", "ticket:carol")
        with scope(organizer=networking_room.event.organizer):
            roulette.roulette_skip(room=networking_room, user=person("carol"))
        # Carol may meet Alice (neither was the other's last partner); Bob, whom Carol just
        # skipped and whose partner before was Alice, may meet neither and waits.
        assert state_of(networking_room) == {
            "ticket:alice": ("matched", "ticket:carol"),
            "ticket:carol": ("matched", "ticket:alice"),
            "ticket:bob": ("waiting", ""),
        }
        start(networking_room, "dave")
        assert state_of(networking_room)["ticket:dave"] == ("matched", "ticket:bob")

    def test_stop_puts_the_partner_back_and_matches_them_again(self, networking_room):
        start(networking_room, "alice")
        start(networking_room, "bob")
        start(networking_room, "carol")
        with scope(organizer=networking_room.event.organizer):
            roulette.roulette_stop(room=networking_room, uid="ticket:alice")
        assert state_of(networking_room) == {
            "ticket:alice": ("left", ""),
            "ticket:bob": ("matched", "ticket:carol"),
            "ticket:carol": ("matched", "ticket:bob"),
        }
        with scopes_disabled():
            assert RouletteCall.objects.filter(ended__isnull=False).count() == 1

    def test_start_while_matched_keeps_the_match(self, networking_room):
        start(networking_room, "alice")
        start(networking_room, "bob")
        assert start(networking_room, "alice").partner_uid == "ticket:bob"

    def test_skip_and_room_without_roulette_are_errors(self, make_room, video_event):
        plain = make_room(name="Stage")
        with scope(organizer=video_event.organizer), pytest.raises(services.VideoError) as failure:
            roulette.roulette_start(room=plain, user=person("alice"))
        assert failure.value.code == "roulette.unavailable"
        with scope(organizer=video_event.organizer), pytest.raises(services.VideoError) as failure:
            roulette.roulette_skip(room=plain, user=person("alice"))
        assert failure.value.code == "roulette.not_started"

    def test_janus_call_is_a_private_room_and_ends_with_the_match(self, networking_room, janus_state):
        start(networking_room, "alice")
        start(networking_room, "bob")
        with scopes_disabled():
            call = RouletteCall.objects.get()
            answer = roulette.request_dict(RouletteRequest.objects.get(uid="ticket:bob"))
        details = dict(answer["match"]["call"])
        token = details.pop("token")
        assert details == {
            "type": "janus",
            "server": call.janus_server.url,
            "room": call.janus_room,
            "pin": call.janus_pin,
        }
        # Browsers get a token signed for the videoroom plugin, never the API secret.
        assert token.split(":")[0].endswith(",janus,janus.plugin.videoroom") and API_SECRET not in token
        created = janus_state.rooms[call.janus_room]
        assert created["is_private"] is True and created["pin"] == call.janus_pin
        assert created["secret"] not in str(answer)
        with scope(organizer=networking_room.event.organizer):
            roulette.roulette_skip(room=networking_room, user=person("bob"))
        assert janus_state.rooms == {}

    def test_failing_janus_server_falls_back_to_jitsi(self, networking_room, janus_state, video_event):
        with scopes_disabled():
            JanusServer.objects.update(admin_key="")
        start(networking_room, "alice")
        start(networking_room, "bob")
        with scopes_disabled():
            call = RouletteCall.objects.get()
        assert call.janus_room is None and call.jitsi_url.startswith(JITSI)


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_pair_everyone_once(networking_room):
    """Many users ask at the same moment from several threads (database connections): nobody
    ends up in two pairs, pairs are mutual, and at most one user is left waiting."""
    count = 16
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def ask(index: int) -> None:
        try:
            barrier.wait()
            start(networking_room, f"user{index:02d}")
        except BaseException as exc:
            failures.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    states = state_of(networking_room)
    assert len(states) == count
    matched = {uid: partner for uid, (state, partner) in states.items() if state == "matched"}
    assert all(matched[partner] == uid for uid, partner in matched.items())
    assert len([s for s, _p in states.values() if s == "waiting"]) == 0
    with scopes_disabled():
        calls = RouletteCall.objects.filter(room=networking_room)
        assert calls.count() == count // 2
        assert all(c.requests.count() == 2 and c.jitsi_url for c in calls)


@pytest.mark.django_db(transaction=True)
def test_concurrent_skips_and_starts_leave_no_possible_pair_waiting(networking_room):
    """Skips and new users at the same moment: pairs stay mutual, and no two waiting users
    could have met (each waiting pair was the other's last partner)."""
    for index in range(8):
        start(networking_room, f"first{index}")
    with scopes_disabled():
        skippers = [r.uid.split(":")[1] for r in RouletteRequest.objects.filter(room=networking_room)][::2]
    actions: list[Callable[[], Any]] = [
        lambda name=name: roulette.roulette_skip(room=networking_room, user=person(name)) for name in skippers
    ] + [
        lambda index=index: roulette.roulette_start(room=networking_room, user=person(f"new{index}"))
        for index in range(4)
    ]
    barrier = threading.Barrier(len(actions))
    failures: list[BaseException] = []

    def run(action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            with scope(organizer=networking_room.event.organizer):
                action()
        except BaseException as exc:
            failures.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with scopes_disabled():
        rows = list(RouletteRequest.objects.filter(room=networking_room))
    matched = {r.uid: r.partner_uid for r in rows if r.state == RouletteRequest.State.MATCHED}
    assert all(matched[partner] == uid for uid, partner in matched.items())
    waiting = [r for r in rows if r.state == RouletteRequest.State.WAITING]
    for index, first in enumerate(waiting):
        for second in waiting[index + 1 :]:
            assert first.last_partner_uid == second.uid or second.last_partner_uid == first.uid
    with scopes_disabled():
        open_calls = RouletteCall.objects.filter(room=networking_room, ended__isnull=True).count()
    assert open_calls == len(matched) // 2


# --- websocket actions ---------------------------------------------------------------------------


async def connected(ws: Callable[..., Any], token: str) -> Any:
    client = ws()
    await client.connect()
    await client.authenticate(token)
    return client


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_match_is_pushed_to_both_and_skip_tells_the_partner(ws, token_for, networking_room):
    alice = await connected(ws, token_for(uid="ticket:alice", name="Alice"))
    bob = await connected(ws, token_for(uid="ticket:bob", name="Bob"))
    assert await alice.ok("roulette.start", {"room": networking_room.pk}) == {"state": "waiting"}
    answer = await bob.ok("roulette.start", {"room": networking_room.pk})
    assert answer["state"] == "matched" and answer["match"]["partner"]["name"] == "Alice"

    pushed_alice = (await alice.receive_until("roulette.match"))[1]
    pushed_bob = (await bob.receive_until("roulette.match"))[1]
    assert pushed_alice["partner"] == {"uid": "ticket:bob", "name": "Bob"}
    assert pushed_bob["partner"]["uid"] == "ticket:alice"
    assert pushed_alice["call"] == pushed_bob["call"] == answer["match"]["call"]
    assert pushed_alice["call"]["url"].startswith(JITSI)

    assert await alice.ok("roulette.skip", {"room": networking_room.pk}) == {"state": "waiting"}
    ended = (await bob.receive_until("roulette.ended"))[1]
    assert ended == {"room": networking_room.pk, "reason": "skipped"}

    assert await bob.ok("roulette.stop", {"room": networking_room.pk}) == {}
    assert await bob.call("roulette.skip", {"room": networking_room.pk}) == [
        "error",
        bob.next_id,
        {"code": "roulette.not_started"},
    ]
    await alice.close()
    await bob.close()


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_closing_the_socket_leaves_the_roulette(ws, token_for, networking_room):
    alice = await connected(ws, token_for(uid="ticket:alice", name="Alice"))
    bob = await connected(ws, token_for(uid="ticket:bob", name="Bob"))
    await alice.ok("roulette.start", {"room": networking_room.pk})
    await bob.ok("roulette.start", {"room": networking_room.pk})
    await alice.close()
    ended = (await bob.receive_until("roulette.ended"))[1]
    assert ended["reason"] == "left"
    states = await sync_to_async(state_of)(networking_room)
    assert states == {"ticket:alice": ("left", ""), "ticket:bob": ("waiting", "")}
    await bob.close()


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_roulette_needs_a_visible_networking_room(ws, token_for, make_room, networking_room):
    stage = await sync_to_async(make_room)(name="Stage")
    hidden = await sync_to_async(make_room)(name="Speakers", traits=["role:speaker"])
    alice = await connected(ws, token_for(uid="ticket:alice"))
    assert (await alice.call("roulette.start", {"room": stage.pk}))[2] == {"code": "roulette.unavailable"}
    assert (await alice.call("roulette.start", {"room": hidden.pk}))[2] == {"code": "room.unknown"}
    assert (await alice.call("roulette.start", {"room": "x"}))[2] == {"code": "room.unknown"}
    assert (await alice.call("roulette.stop", {"room": networking_room.pk}))[0] == "success"
    await alice.close()


# --- control panel -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "stored"), [("", ""), ("https://meet.example.org/", "https://meet.example.org/")]
)
def test_team_adds_a_networking_module(client_for, user, video_event, make_room, url, stored):
    room = make_room(name="Lounge", kinds=(Module.Kind.CHAT,))
    page = reverse(
        "plugins:video:control.room",
        kwargs={"organizer": video_event.organizer.slug, "event": video_event.slug, "room": room.pk},
    )
    response = client_for(user).post(
        page, {"module-kind": "networking.roulette", "module-url": url, "module-order": 3}
    )
    assert response.status_code == 302
    with scopes_disabled():
        module = room.modules.get(kind=Module.Kind.NETWORKING_ROULETTE)
    assert module.config == {"jitsi_url": stored}


@pytest.mark.django_db
def test_bad_jitsi_url_is_an_error_of_the_url_field(video_event, make_room):
    room = make_room(name="Lounge", kinds=(Module.Kind.CHAT,))
    with scope(organizer=video_event.organizer), pytest.raises(ValidationError) as failure:
        services.module_save(room=room, kind=Module.Kind.NETWORKING_ROULETTE, config={"jitsi_url": "nope"})
    assert "url" in failure.value.message_dict
