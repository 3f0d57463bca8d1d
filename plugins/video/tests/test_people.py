"""Profiles, opt-in direct messages, blocking and reports, through the websocket API."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scope
from eventyay_video import people
from eventyay_video.models import UserProfile
from eventyay_video.tokens import VideoUser, token_issue

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


async def signed_in(ws, token: str, *, accepts: bool | None = None) -> object:
    client = ws()
    await client.connect()
    await client.authenticate(token)
    if accepts is not None:
        await client.ok("user.update", {"accepts_direct_messages": accepts})
    return client


async def test_profile_update_and_fetch_by_another_user(ws, token_for):
    alice = await signed_in(ws, token_for(uid="ticket:alice", name="Alice"))
    own = await alice.ok("user.fetch")
    assert own == {
        "id": "ticket:alice",
        "profile": {"display_name": "Alice", "avatar_url": "", "bio": ""},
        "accepts_direct_messages": False,
    }
    updated = await alice.ok(
        "user.update",
        {
            "profile": {
                "display_name": "Alice L.",
                "avatar_url": "https://img.example/a.png",
                "bio": "Compilers.",
            }
        },
    )
    assert updated["profile"] == {
        "display_name": "Alice L.",
        "avatar_url": "https://img.example/a.png",
        "bio": "Compilers.",
    }
    bob = await signed_in(ws, token_for(uid="ticket:bob"))
    assert (await bob.ok("user.fetch", {"id": "ticket:alice"}))["profile"]["bio"] == "Compilers."
    several = await bob.ok("user.fetch", {"ids": ["ticket:alice", "ticket:nobody"]})
    assert list(several) == ["ticket:alice"]
    assert (await bob.call("user.fetch", {"id": "ticket:nobody"}))[2] == {"code": "user.not_found"}
    await alice.close()
    await bob.close()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"profile": {"avatar_url": "javascript:alert(1)"}}, "avatar_url"),
        ({"profile": {"bio": "x" * 501}}, "bio"),
        ({"profile": {"display_name": " "}}, "display_name"),
        ({"profile": "not an object"}, "profile"),
        ({"accepts_direct_messages": "yes"}, "accepts_direct_messages"),
    ],
)
async def test_bad_profile_input_names_the_field(ws, token_for, payload, field):
    alice = await signed_in(ws, token_for())
    assert (await alice.call("user.update", payload))[2] == {"code": "user.invalid", "detail": field}
    await alice.close()


async def test_direct_messages_need_the_recipients_opt_in(ws, token_for):
    alice = await signed_in(ws, token_for(uid="ticket:alice"), accepts=True)
    bob = await signed_in(ws, token_for(uid="ticket:bob"), accepts=False)
    refused = await alice.call("chat.direct.create", {"users": ["ticket:bob"]})
    assert refused[2] == {"code": "chat.denied"}
    await bob.ok("user.update", {"accepts_direct_messages": True})
    channel = await alice.ok("chat.direct.create", {"users": ["ticket:bob"]})
    assert sorted(channel["members"]) == ["ticket:alice", "ticket:bob"]
    await alice.close()
    await bob.close()


async def test_direct_messages_need_the_senders_own_opt_in(ws, token_for):
    alice = await signed_in(ws, token_for(uid="ticket:alice"))
    await signed_in(ws, token_for(uid="ticket:bob"), accepts=True)
    refused = await alice.call("chat.direct.create", {"users": ["ticket:bob"]})
    assert refused[2] == {"code": "chat.direct.opt_in_required"}
    await alice.close()


async def test_direct_messages_reach_only_the_two_members(ws, token_for):
    alice = await signed_in(ws, token_for(uid="ticket:alice", name="Alice"), accepts=True)
    bob = await signed_in(ws, token_for(uid="ticket:bob"), accepts=True)
    # A second socket of Bob's that never opened the channel is told of new messages too.
    bob_elsewhere = await signed_in(ws, token_for(uid="ticket:bob"))
    channel = await alice.ok("chat.direct.create", {"users": ["ticket:bob"]})
    assert (await bob.ok("chat.direct.create", {"users": ["ticket:alice"]}))["id"] == channel["id"]
    assert (await bob.ok("chat.direct.list"))["channels"] == [
        {"id": channel["id"], "members": channel["members"]}
    ]
    await alice.ok(
        "chat.send",
        {
            "channel": channel["id"],
            "event_type": "channel.message",
            "content": {"type": "text", "body": "psst"},
        },
    )
    event = (await bob.receive_until("chat.event"))[1]
    assert event["text"] == "psst" and event["sender"]["name"] == "Alice"
    assert (await bob_elsewhere.receive_until("chat.event"))[1]["id"] == event["id"]

    eve = await signed_in(ws, token_for(uid="ticket:eve"), accepts=True)
    assert (await eve.call("chat.join", {"channel": channel["id"]}))[2] == {"code": "chat.unknown_channel"}
    assert (await eve.call("chat.fetch", {"channel": channel["id"]}))[2] == {"code": "chat.unknown_channel"}
    assert (await eve.ok("chat.direct.list"))["channels"] == []
    assert await eve.nothing_more()
    for client in (alice, bob, bob_elsewhere, eve):
        await client.close()


async def test_a_block_stops_direct_messages_both_ways(ws, token_for):
    alice = await signed_in(ws, token_for(uid="ticket:alice"), accepts=True)
    bob = await signed_in(ws, token_for(uid="ticket:bob"), accepts=True)
    channel = await alice.ok("chat.direct.create", {"users": ["ticket:bob"]})
    await bob.ok("chat.direct.create", {"users": ["ticket:alice"]})
    await bob.ok("user.block", {"id": "ticket:alice"})
    blocked = await bob.ok("user.list.blocked")
    assert [user["id"] for user in blocked["users"]] == ["ticket:alice"]
    assert (await bob.call("user.block", {"id": "ticket:bob"}))[2] == {"code": "user.block.self"}
    sent = await alice.call("chat.send", {"channel": channel["id"], "content": "hello?"})
    assert sent[2] == {"code": "chat.denied"}
    back = await bob.call("chat.send", {"channel": channel["id"], "content": "go away"})
    assert back[2] == {"code": "chat.denied"}
    assert (await alice.call("chat.direct.create", {"users": ["ticket:bob"]}))[2] == {"code": "chat.denied"}
    await bob.ok("user.unblock", {"id": "ticket:alice"})
    await alice.ok("chat.send", {"channel": channel["id"], "content": "friends again"})
    await alice.close()
    await bob.close()


async def test_a_report_reaches_the_moderators(ws, room, token_for):
    mod = await signed_in(ws, token_for(uid="team:7", traits=("role:organizer",)))
    alice = await signed_in(ws, token_for(uid="ticket:alice"))
    bob = await signed_in(ws, token_for(uid="ticket:bob"))
    await bob.ok("chat.join", {"channel": room.channel.pk})
    rude = await bob.ok("chat.send", {"channel": room.channel.pk, "content": "rude words"})
    report = await alice.ok(
        "user.report",
        {"id": "ticket:bob", "reason": "Insults", "channel": room.channel.pk, "message": rude["id"]},
    )
    frame = await mod.receive_until("user.reported")
    assert frame[1]["id"] == report["id"]
    assert frame[1]["reporter"] == "ticket:alice" and frame[1]["reported"] == "ticket:bob"
    assert frame[1]["message"]["text"] == "rude words"
    listed = await mod.ok("user.report.list")
    assert [r["id"] for r in listed["reports"]] == [report["id"]]
    assert (await alice.call("user.report.list"))[2] == {"code": "auth.denied"}
    # Everything bob gets (his own message's broadcast may still be on its way through the
    # layer), but never the report about him.
    seen_by_bob = [bob.pending.popleft()[0] for _ in range(len(bob.pending))]
    while not await bob.communicator.receive_nothing(timeout=0.5):
        seen_by_bob.append((await bob.receive())[0])
    assert "user.reported" not in seen_by_bob
    wrong_sender = await alice.call(
        "user.report", {"id": "ticket:mod", "reason": "x", "channel": room.channel.pk, "message": rude["id"]}
    )
    assert wrong_sender[2] == {"code": "chat.unknown_message"}
    assert (await alice.call("user.report", {"id": "ticket:bob", "reason": ""}))[2] == {
        "code": "user.invalid",
        "detail": "reason",
    }
    await mod.close()
    await alice.close()
    await bob.close()


async def test_users_of_another_event_cannot_message_or_see_each_other(
    ws, video_event, make_event, token_for
):
    other = await sync_to_async(make_event)(slug="elsewhere", plugins=["video"])
    alice = await signed_in(ws, token_for(uid="ticket:alice"), accepts=True)
    carol = ws(other.organizer.slug, other.slug)
    await carol.connect()
    await carol.authenticate(
        token_issue(event=other, uid="ticket:carol", traits=("attendee",), display_name="Carol")
    )
    await carol.ok("user.update", {"accepts_direct_messages": True, "profile": {"bio": "other event"}})

    assert (await alice.call("user.fetch", {"id": "ticket:carol"}))[2] == {"code": "user.not_found"}
    assert (await alice.call("chat.direct.create", {"users": ["ticket:carol"]}))[2] == {"code": "chat.denied"}

    # A direct channel of the first event is unknown on the other one, even to a same-named uid.
    bob = await signed_in(ws, token_for(uid="ticket:bob"), accepts=True)
    channel = await alice.ok("chat.direct.create", {"users": ["ticket:bob"]})
    other_bob = ws(other.organizer.slug, other.slug)
    await other_bob.connect()
    await other_bob.authenticate(
        token_issue(event=other, uid="ticket:bob", traits=("attendee",), display_name="Bob")
    )
    assert (await other_bob.call("chat.join", {"channel": channel["id"]}))[2] == {
        "code": "chat.unknown_channel"
    }
    for client in (alice, bob, carol, other_bob):
        await client.close()


def test_direct_channel_list_takes_one_query(video_event, django_assert_num_queries):
    with scope(organizer=video_event.organizer):
        for uid in ("ticket:alice", "ticket:bob", "ticket:carol"):
            UserProfile.objects.create(event=video_event, uid=uid, accepts_direct_messages=True)
        alice = VideoUser(uid="ticket:alice", name="Alice")
        for other in ("ticket:bob", "ticket:carol"):
            people.direct_channel_open(event=video_event, user=alice, users=[other])
        with django_assert_num_queries(1):
            listed = people.direct_channels(event=video_event, user=alice)
    assert len(listed) == 2
