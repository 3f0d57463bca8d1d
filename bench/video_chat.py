"""Benchmark: websocket chat fan-out of the video plugin.

Starts uvicorn serving ``eventyay.config.asgi:application`` on a free loopback port, opens N
concurrent websocket clients (bounded by ``--connect-concurrency``, loopback only) that
authenticate with signed tokens, enter one room and join its chat, then lets ``--senders`` of
them send chat messages at a fixed total ``--rate`` for ``--duration`` seconds. Every client
records the delay between a message's send and its arrival; the script reports delivery
latency p50/p99/max over all (message, recipient) pairs, the number of clients held open at
the same time, and checks that every client got every message.

``--reconnect`` then closes every client and opens them all again at once (a reconnect storm
after a deploy) and reports how long that took. On PostgreSQL each phase also reports the
database transactions the server ran per socket (from ``pg_stat_database``): connecting reads
the event's cached state, so a warm connect costs the chat history page and nothing else.

The clients are a minimal RFC 6455 implementation on raw asyncio protocols (uvloop), so that
the load generator, which shares the machine, costs far less per frame than the server. The
server runs with permessage-deflate off (compressing each frame once per socket is the most
expensive part of a fan-out otherwise) and uvicorn's ``websockets-sansio`` implementation.

Run from the repository root::

    EVENTYAY_DATA_DIR=$(mktemp -d) .venv/bin/python bench/video_chat.py            # 2,000 clients
    EVENTYAY_DATA_DIR=$(mktemp -d) .venv/bin/python bench/video_chat.py --quick    # 200 clients

With nothing else set, the server uses SQLite in the data directory and the in-memory channel
layer (one server process). With ``EVENTYAY_DB_URL`` and ``EVENTYAY_REDIS_URL`` it uses
PostgreSQL and channels-redis, and ``--workers`` can be raised above 1.
Exit status 1 if a client misses a message or a connection fails.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from eventyay.base.models import Event, Organizer  # noqa: E402
from eventyay.base.services.events import event_create  # noqa: E402
from eventyay.base.services.organizers import organizer_create  # noqa: E402

ORGANIZER = "videobench"
#: Seconds until PostgreSQL (15) has flushed the statistics of every backend, idle ones included.
STATS_FLUSH_SECONDS = 11
EVENT = "chatbench"


def prepare() -> tuple[Event, int, int]:
    """A fresh event with one chat room; returns the event, the room id and its channel id."""
    from eventyay_video import services
    from eventyay_video.models import Module, Room

    call_command("migrate", verbosity=0, interactive=False)
    with scopes_disabled():
        organizer = Organizer.objects.filter(slug=ORGANIZER).first() or organizer_create(
            name="Video bench", slug=ORGANIZER
        )
        event = Event.objects.filter(organizer=organizer, slug=EVENT).first()
    with scope(organizer=organizer):
        if event is None:
            event = event_create(
                organizer=organizer,
                data={
                    "name": {"en": "Chat bench"},
                    "slug": EVENT,
                    "date_from": "2030-01-01T09:00Z",
                    "live": True,
                },
                plugins=["video"],
                is_admin=True,
            )
        Room.objects.filter(event=event).delete()
        room = services.room_save(event=event, data={"name": "Bench hall"})
        services.module_save(room=room, kind=Module.Kind.CHAT, config={})
        return event, room.pk, room.channel.pk


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_transactions() -> int | None:
    """Transactions run on this database so far (PostgreSQL), for a count per socket."""
    if not settings.DATABASE_IS_POSTGRES:
        return None
    from django.db import connection

    # A busy backend flushes its statistics at most once a second, an idle one (the server's
    # pooled connections once the phase is over) only after 10 s: wait for both, or the count
    # misses the phase's last transactions and adds them to the next phase.
    time.sleep(STATS_FLUSH_SECONDS)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            )
            return int(cursor.fetchone()[0])
    finally:
        connection.close()


def per_socket(before: int | None, after: int | None, sockets: int) -> str:
    if before is None or after is None or not sockets:
        return ""
    return f", {(after - before) / sockets:.2f} database transactions per socket"


def start_server(port: int, args: argparse.Namespace) -> subprocess.Popen:
    env = {
        **os.environ,
        "EVENTYAY_SECRET_KEY": settings.SECRET_KEY,
        "EVENTYAY_SITE_URL": settings.SITE_URL,
        "EVENTYAY_DATA_DIR": str(settings.DATA_DIR),
    }
    command = [
        sys.executable, "-m", "uvicorn", "eventyay.config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
        "--log-level", "warning", "--no-access-log", "--workers", str(args.workers),
        "--ws", args.ws, "--ws-max-size", str(64 * 1024),
        "--ws-per-message-deflate", "false",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("uvicorn did not start")
            time.sleep(0.3)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    received: dict[int, int] = field(default_factory=dict)
    connected: int = 0
    max_connected: int = 0
    failures: list[str] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    joined: int = 0
    connect_seconds: float = 0.0
    reconnect_seconds: float | None = None


class BenchClient(asyncio.Protocol):
    """A minimal websocket client (RFC 6455, text frames, no extensions) on a raw asyncio protocol.

    The load generator must cost far less per received frame than the server, or the run
    measures the client: a full client library spends more per frame than the server's fan-out.
    """

    def __init__(self, index: int, port: int, path: str, token: str, room: int, channel: int, stats: Stats):
        self.index, self.port, self.path, self.token = index, port, path, token
        self.room, self.channel, self.stats = room, channel, stats
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded: asyncio.Future | None = None
        self.seen = 0
        self.next_id = 0
        self.replies: dict[int, asyncio.Future] = {}
        self.closing = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.upgraded = loop.create_future()
        await loop.create_connection(lambda: self, "127.0.0.1", self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{self.port}\r\n\r\n"
            ).encode()
        )
        await asyncio.wait_for(self.upgraded, 120)
        self.stats.connected += 1
        self.stats.max_connected = max(self.stats.max_connected, self.stats.connected)
        await self.call("authenticate", {"token": self.token})
        await self.call("room.enter", {"room": self.room})
        await self.call("chat.join", {"channel": self.channel, "count": 1})

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.upgraded is not None and self.upgraded.done():
            self.stats.connected -= 1
            if not self.closing:
                self.stats.failures.append(f"client {self.index}: connection lost ({exc!r})")
        elif self.upgraded is not None:
            self.upgraded.set_exception(ConnectionError(f"client {self.index}: closed during the handshake"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                return
            self.upgraded.set_result(None)
        buffer, pos, size = self.buffer, 0, len(self.buffer)
        while size - pos >= 2:
            opcode, length, head = buffer[pos] & 0x0F, buffer[pos + 1] & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buffer[pos + head : pos + head + length])
            pos += head + length
            if opcode == 1:
                self.on_text(payload)
            elif opcode == 9:
                self.send_frame(0xA, payload)
            elif opcode == 8 and not self.closing:
                self.stats.failures.append(f"client {self.index}: closed by the server {payload!r}")
        del buffer[:pos]

    def on_text(self, payload: bytes) -> None:
        now = time.perf_counter()
        if payload.startswith(b'["chat.event"'):
            # The message's plain text (its venueless ``content`` object carries it too).
            start = payload.find(b'"text":"bench ')
            if start >= 0:
                sent = float(payload[start + 14 : payload.index(b" ", start + 14)])
                self.stats.latencies.append(now - sent)
                self.seen += 1
            return
        if payload.startswith((b'["success"', b'["error"')):
            frame = json.loads(payload)
            future = self.replies.get(frame[1])
            if future is not None and not future.done():
                future.set_result(frame)

    def send_frame(self, opcode: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            header = bytes([0x80 | opcode, 0x80 | length])
        else:
            header = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
        mask = os.urandom(4)
        key = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
        self.transport.write(header + mask + masked)

    def request(self, action: str, payload: dict) -> asyncio.Future:
        self.next_id += 1
        future = self.replies[self.next_id] = asyncio.get_running_loop().create_future()
        self.send_frame(1, json.dumps([action, self.next_id, payload]).encode())
        return future

    async def call(self, action: str, payload: dict) -> list:
        frame = await asyncio.wait_for(self.request(action, payload), 120)
        if frame[0] != "success":
            raise RuntimeError(f"client {self.index}: {frame}")
        return frame

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()


async def run(args: argparse.Namespace, event: Event, room: int, channel: int, port: int) -> Stats:
    from eventyay_video.tokens import token_issue

    stats = Stats()
    path = f"/ws/event/{ORGANIZER}/{EVENT}/"
    clients = [
        BenchClient(
            i, port, path,
            token_issue(event=event, uid=f"bench:{i}", traits=["attendee"], display_name=f"Bench {i}", expires_in=3600),
            room, channel, stats,
        )
        for i in range(args.clients)
    ]  # fmt: skip
    gate = asyncio.Semaphore(args.connect_concurrency)

    async def start(client: BenchClient) -> None:
        async with gate:
            await client.start()

    async def start_all(clients: list[BenchClient]) -> tuple[list[BenchClient], float, str]:
        before = await asyncio.to_thread(database_transactions)
        started = time.perf_counter()
        results = await asyncio.gather(*(start(c) for c in clients), return_exceptions=True)
        seconds = time.perf_counter() - started
        failed = [r for r in results if isinstance(r, BaseException)]
        stats.failures.extend(f"connect: {r!r}" for r in failed)
        ok = [c for c, r in zip(clients, results, strict=True) if not isinstance(r, BaseException)]
        return ok, seconds, per_socket(before, await asyncio.to_thread(database_transactions), len(ok))

    clients, stats.connect_seconds, cost = await start_all(clients)
    stats.joined = len(clients)
    print(
        f"{len(clients)} clients connected, authenticated and joined in {stats.connect_seconds:.1f} s{cost}",
        flush=True,
    )
    await asyncio.sleep(args.settle)

    senders = clients[: args.senders]
    interval = 1 / args.rate
    total = int(args.duration * args.rate)
    begin = time.perf_counter()
    for n in range(total):
        await asyncio.sleep(max(0, begin + n * interval - time.perf_counter()))
        sender = senders[n % len(senders)]
        sender.request("chat.send", {"channel": channel, "content": f"bench {time.perf_counter():.6f} {n}"})
        stats.sent.append(n)
    deadline = time.perf_counter() + args.drain
    while time.perf_counter() < deadline and any(c.seen < total for c in clients):
        await asyncio.sleep(0.2)
    for client in clients:
        stats.received[client.index] = client.seen
        for request_id, future in client.replies.items():
            if future.done() and future.result()[0] == "error":
                stats.failures.append(f"client {client.index} request {request_id}: {future.result()}")
    for client in clients:
        client.close()
    if args.reconnect:
        await asyncio.sleep(args.settle)
        again = [BenchClient(c.index, port, path, c.token, room, channel, stats) for c in clients]
        again, stats.reconnect_seconds, cost = await start_all(again)
        print(
            f"reconnect storm: {len(again)} clients back in {stats.reconnect_seconds:.1f} s{cost}", flush=True
        )
        for client in again:
            client.close()
    return stats


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="200 clients for 10 seconds")
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument(
        "--senders", type=int, default=20, help="clients that send (flood control: 1 msg/s each)"
    )
    parser.add_argument(
        "--rate", type=float, default=5.0, help="chat messages per second, all senders together"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of chatting")
    parser.add_argument(
        "--connect-concurrency", type=int, default=50, help="connections being opened at once"
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between joining and chatting")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for late deliveries")
    parser.add_argument(
        "--reconnect", action="store_true", help="then close every client and reconnect them all at once"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes (more than 1 needs Redis)")
    parser.add_argument(
        "--ws", default="websockets-sansio", help="uvicorn websocket implementation (--ws of uvicorn)"
    )
    args = parser.parse_args()
    if args.quick:
        args.clients, args.duration = min(args.clients, 200), min(args.duration, 10.0)
    if args.workers > 1 and not settings.REDIS_URL:
        parser.error("--workers above 1 needs the Redis channel layer (EVENTYAY_REDIS_URL)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 2 * args.clients + 256)), hard))

    event, room, channel = prepare()
    port = free_port()
    server = start_server(port, args)
    try:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        stats = asyncio.run(run(args, event, room, channel, port))
    finally:
        server.terminate()
        server.wait(timeout=30)

    layer = "channels-redis" if settings.REDIS_URL else "in-memory"
    database = "PostgreSQL" if settings.DATABASE_IS_POSTGRES else "SQLite"
    print(
        f"configuration: {database}, {layer} channel layer, {args.workers} uvicorn worker(s), "
        f"--ws {args.ws}, permessage-deflate off"
    )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"clients: {args.clients}, max held open at once: {stats.max_connected}")
    print(f"connect, authenticate, enter and join: {stats.connect_seconds:.1f} s (target < 10 s for 2,000)")
    if stats.reconnect_seconds is not None:
        print(f"reconnect storm: {stats.reconnect_seconds:.1f} s")
    expected = len(stats.sent)
    missing = sum(expected - seen for seen in stats.received.values())
    print(f"messages sent: {expected} at {args.rate}/s by {args.senders} senders over {args.duration:.0f} s")
    deliveries = len(stats.latencies)
    print(f"clients that joined: {stats.joined}, failed to join: {args.clients - stats.joined}")
    print(f"deliveries: {deliveries} of {expected * stats.joined} expected, missing: {missing}")
    if stats.latencies:
        p50, p99 = percentile(stats.latencies, 0.5), percentile(stats.latencies, 0.99)
        print(
            f"delivery latency: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {max(stats.latencies) * 1000:.0f} ms, mean {statistics.fmean(stats.latencies) * 1000:.0f} ms"
        )
        print(f"target p99 < 1 s: {'met' if p99 < 1 else 'NOT met'}")
    for failure in stats.failures[:10]:
        print("failure:", failure)
    return 1 if stats.failures or missing or not stats.latencies else 0


if __name__ == "__main__":
    sys.exit(main())
