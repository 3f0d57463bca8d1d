"""Server workers even out their keep-alive HTTP connections (eventyay.config.balance)."""

from __future__ import annotations

import asyncio
import http.client
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from eventyay.config.balance import _SLOT, ConnectionShare, ShedOverShare
from eventyay.testing.servers import embedded_env, free_port

ROOT = Path(__file__).resolve().parents[2]


def _publish_in_child(share: ConnectionShare, connections: int, ready, done) -> None:
    share.claim(hint=1)
    share.publish(connections)
    ready.set()
    done.wait(10)


def test_workers_forked_from_one_master_see_each_others_counts():
    share = ConnectionShare()
    context = multiprocessing.get_context("fork")
    ready, done = context.Event(), context.Event()
    child = context.Process(target=_publish_in_child, args=(share, 10, ready, done))
    child.start()
    try:
        assert ready.wait(10)
        share.claim(hint=1)
        assert share.index != 1, "the child's slot is taken"
        share.publish(2)
        assert (share.mine, share.fair) == (2, 6)
        assert not share.should_shed()
    finally:
        done.set()
        child.join(10)


def test_a_worker_over_its_share_closes_one_connection_per_publication():
    share = ConnectionShare()
    share.claim()
    # Another live worker with 2 connections; this one holds 10: fair is 6.
    _SLOT.pack_into(share.memory, _SLOT.size * 5, os.getpid() + 1, 2, time.monotonic())
    share.publish(10)
    assert share.fair == 6
    assert share.should_shed()
    assert not share.should_shed(), "the next one waits for the next count"
    share.publish(9)
    assert share.should_shed()


def test_slots_of_gone_workers_are_ignored_and_reused():
    share = ConnectionShare(stale_after=2.0)
    # A worker killed a minute ago left 30 connections in its slot.
    _SLOT.pack_into(share.memory, 0, 999_999, 30, time.monotonic() - 60)
    assert share.claim(hint=0) == 0
    share.publish(4)
    assert (share.fair, share.should_shed()) == (4, False)
    share.release()
    assert _SLOT.unpack_from(share.memory, 0) == (0, 0, 0.0)


def _answer(share: ConnectionShare, scope_type: str = "http") -> list[dict]:
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"Connection", b"keep-alive")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    asyncio.run(ShedOverShare(app, share)({"type": scope_type}, None, send))
    return sent


def test_the_middleware_asks_the_client_to_reconnect_only_when_over_share():
    share = ConnectionShare()
    share.claim()
    share.publish(3)
    assert _answer(share)[0]["headers"] == [(b"Connection", b"keep-alive")]
    _SLOT.pack_into(share.memory, _SLOT.size * 7, os.getpid() + 1, 1, time.monotonic())
    share.publish(9)
    assert _answer(share)[0]["headers"] == [(b"connection", b"close")]
    assert _answer(share)[0]["headers"] == [(b"Connection", b"keep-alive")], "one per publication"


def _established(port: int) -> dict[int, int]:
    """Inode -> 1 for every established TCP connection whose local port is ``port``."""
    inodes = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            inodes[int(fields[9])] = 1
    return inodes


def _connections_per_worker(master: int, port: int) -> list[int]:
    workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    established = _established(port)
    counts = []
    for pid in workers:
        count = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in established:
                count += 1
        counts.append(count)
    return counts


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_gunicorn_workers_end_up_with_even_shares_of_connections(tmp_path):
    port = free_port()
    env = embedded_env(
        tmp_path,
        EVENTYAY_BIND=f"127.0.0.1:{port}",
        EVENTYAY_WORKERS="2",
        EVENTYAY_ACCESS_LOG="off",
        EVENTYAY_LOG_LEVEL="warning",
    )
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deployment" / "gunicorn.conf.py")]
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _number in range(12)]
    try:
        deadline = time.monotonic() + 120
        while len(_connections_per_worker(server.pid, port)) < 2 or not _answers(port):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        time.sleep(1)  # both workers warmed up and listening
        for client in clients:
            client.connect()
        before = sorted(_connections_per_worker(server.pid, port))
        until = time.monotonic() + 4
        while time.monotonic() < until:
            for client in clients:
                client.request("GET", "/healthz")
                client.getresponse().read()
        after = sorted(_connections_per_worker(server.pid, port))
        assert sum(after) == 12
        assert after[1] - after[0] <= 2, f"connections per worker {before} at first, {after} after 4 s"
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.wait(60)


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code in (200, 503)
    except requests.RequestException:
        return False


def test_one_connection_over_the_share_is_tolerated():
    share = ConnectionShare()
    share.claim()
    # 13 connections over two workers cannot be split evenly: 7 and 6 stay as they are.
    _SLOT.pack_into(share.memory, _SLOT.size * 9, os.getpid() + 1, 5, time.monotonic())
    share.publish(8)
    assert share.fair == 7
    assert not share.should_shed()
    share.publish(9)
    assert share.should_shed()
