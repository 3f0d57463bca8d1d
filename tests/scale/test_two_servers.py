"""Two app servers over one PostgreSQL and one Redis behave as one site.

Scaling out means starting more server processes (on more machines) behind a load balancer;
nothing may live only in one process. Two uvicorn processes on different ports share this
session's test database and Redis, as two machines would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import requests
import websockets
from django.core.cache import cache
from django_scopes import scope, scopes_disabled

from eventyay.testing.servers import asgi_server, services_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def servers(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with contextlib.ExitStack() as stack:
        bases = []
        for name in ("one", "two"):
            data_dir = tmp_path_factory.mktemp(f"server-{name}")
            bases.append(
                stack.enter_context(asgi_server(services_env(data_dir), log=data_dir / "server.log"))
            )
        yield bases[0], bases[1]


@pytest.fixture(autouse=True)
def _shared_cache_starts_empty() -> None:
    # The servers cache events by slug; the rows of an earlier test are gone.
    cache.clear()


def test_a_chat_message_sent_through_one_server_reaches_a_client_of_the_other(servers, make_event):
    from eventyay_video import services
    from eventyay_video.models import Module
    from eventyay_video.tokens import token_issue

    event = make_event(slug="twochat", plugins=["video"])
    with scope(organizer=event.organizer):
        room = services.room_save(event=event, data={"name": "Main stage"})
        services.module_save(room=room, kind=Module.Kind.CHAT, config={})
        channel = room.channel.pk
    path = f"/ws/event/{event.organizer.slug}/{event.slug}/"

    async def joined(base: str, uid: str) -> Any:
        host = base.removeprefix("http://")
        connection = await websockets.connect(f"ws://{host}{path}", origin=base)
        token = token_issue(event=event, uid=uid, display_name=uid)
        for request_id, (action, payload) in enumerate(
            [("authenticate", {"token": token}), ("chat.join", {"channel": channel})], start=1
        ):
            await connection.send(json.dumps([action, request_id, payload]))
            while True:
                frame = json.loads(await asyncio.wait_for(connection.recv(), 30))
                if frame[:2] == ["success", request_id]:
                    break
                assert frame[0] != "error", frame
        return connection

    async def scenario() -> None:
        alice = await joined(servers[0], "ticket:alice")
        bob = await joined(servers[1], "ticket:bob")
        await alice.send(json.dumps(["chat.send", 9, {"channel": channel, "content": "across servers"}]))
        while True:
            frame = json.loads(await asyncio.wait_for(bob.recv(), 30))
            if frame[0] == "chat.event":
                break
        assert frame[1]["content"] == {"type": "text", "body": "across servers"}
        assert frame[1]["text"] == "across servers"
        assert frame[1]["sender"]["uid"] == "ticket:alice"
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_a_ticket_rush_split_across_both_servers_sells_exactly_the_quota(servers, make_event, api_token):
    from eventyay_tickets.models import Order, OrderPosition, Product, Quota

    event = make_event(slug="tworush", plugins=["tickets"])
    size, attempts = 8, 24
    with scope(organizer=event.organizer):
        ticket = Product.objects.create(event=event, name={"en": "Ticket"}, price=Decimal("50.00"))
        quota = Quota.objects.create(event=event, name="Tickets", size=size)
        quota.products.set([ticket])
    body = {
        "email": "rush@example.org",
        "payment_provider": "banktransfer",
        "positions": [{"product": ticket.pk}],
    }
    path = f"/api/v1/organizers/{event.organizer.slug}/events/{event.slug}/orders/"

    def order(attempt: int) -> int:
        base = servers[attempt % 2]
        response = requests.post(
            base + path, json=body, headers={"Authorization": f"Token {api_token}"}, timeout=120
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(order, range(attempts)))
    assert set(statuses) <= {201, 400, 409}, statuses
    with scopes_disabled():
        sold = OrderPosition.objects.filter(order__event=event, order__status__in=Order.HOLDING).count()
    assert statuses[201] == size == sold


def test_a_change_through_one_server_shows_on_the_cached_page_of_the_other(servers, make_event, api_token):
    event = make_event(slug="twopage", name={"en": "Before the change"})
    page = f"/{event.organizer.slug}/{event.slug}/"
    visitor = requests.Session()  # keeps its CSRF cookie, which the ETag covers
    visitor.get(servers[1] + page, timeout=120)  # sets the CSRF cookie, if the page has a form
    first = visitor.get(servers[1] + page, timeout=120)
    again = visitor.get(servers[1] + page, timeout=120)
    assert first.status_code == again.status_code == 200
    assert "Before the change" in again.text
    assert first.headers["ETag"] == again.headers["ETag"]  # served from the page cache

    changed = requests.patch(
        f"{servers[0]}/api/v1/organizers/{event.organizer.slug}/events/{event.slug}/",
        json={"name": {"en": "After the change"}},
        headers={"Authorization": f"Token {api_token}"},
        timeout=120,
    )
    assert changed.status_code == 200, changed.text
    after = visitor.get(servers[1] + page, headers={"If-None-Match": again.headers["ETag"]}, timeout=120)
    assert after.status_code == 200
    assert "After the change" in after.text
    assert after.headers["ETag"] != again.headers["ETag"]
