"""Shared by bench/tickets_rush.py and bench/tickets_read.py: set-up, the server, HTTP clients."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from eventyay.base.models import Event, Organizer, User  # noqa: E402
from eventyay.base.plugins.manager import installed_plugins  # noqa: E402
from eventyay.base.services.events import event_create  # noqa: E402
from eventyay.base.services.organizers import organizer_create  # noqa: E402
from eventyay.base.services.teams import token_create  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ORGANIZER = "ticketbench"


@dataclass
class Shop:
    event: Event
    product_id: int
    quota_id: int
    token: str


def prepare(slug: str, *, quota: int, products: int = 1) -> Shop:
    """A fresh event with the tickets plugin, ``products`` products in one quota, and an API token."""
    from eventyay_tickets.models import Product, Quota

    call_command("migrate", verbosity=0, interactive=False)
    with scopes_disabled():
        organizer = Organizer.objects.filter(slug=ORGANIZER).first()
        if organizer is None:
            owner = User.objects.filter(email="bench@example.org").first() or User.objects.create_user(
                "bench@example.org", None
            )
            organizer = organizer_create(name="Ticket bench", slug=ORGANIZER, creator=owner)
        team = organizer.teams.get(name="Administrators")
    with scope(organizer=organizer):
        event = event_create(
            organizer=organizer,
            data={
                "name": {"en": "Ticket rush"},
                "slug": slug,
                "date_from": "2030-01-01T09:00Z",
                "live": True,
            },
            plugins=["tickets"],
            is_admin=True,
        )
        items = [
            Product.objects.create(
                event=event, name={"en": f"Ticket {i}"}, price=Decimal("99.00"), position=i
            )
            for i in range(products)
        ]
        limit = Quota.objects.create(event=event, name="Admission", size=quota)
        limit.products.set(items)
        _token, secret = token_create(team=team, name=f"bench {slug}")
    return Shop(event=event, product_id=items[0].pk, quota_id=limit.pk, token=secret)


def sold(shop: Shop) -> int:
    from eventyay_tickets.models import Order, OrderPosition

    with scopes_disabled():
        return OrderPosition.objects.filter(order__event=shop.event, order__status__in=Order.HOLDING).count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    port: int, workers: int, plugins: tuple[str, ...] = ("tickets",), server: str = "asgi"
) -> subprocess.Popen:
    """The production configuration (deployment/gunicorn.conf.py) when present, else uvicorn.

    ``server="wsgi"``: the same configuration with gunicorn's threaded WSGI workers instead.

    Only ``plugins`` are loaded, so other plugins' state cannot disturb the figures.
    """
    env = {
        **os.environ,
        "EVENTYAY_SECRET_KEY": settings.SECRET_KEY,
        "EVENTYAY_DATA_DIR": str(settings.DATA_DIR),
        "EVENTYAY_BIND": f"127.0.0.1:{port}",
        "EVENTYAY_WORKERS": str(workers),
        "EVENTYAY_ACCESS_LOG": "off",
        # A worker replaced during a measurement closes its connections under the load
        # generator (at several thousand requests per second, 10,000 come within seconds).
        "EVENTYAY_MAX_REQUESTS": "0",
        "EVENTYAY_LOG_LEVEL": "warning",
        # The bench measures the shop, not the per-client rate limit.
        "EVENTYAY_API_RATE_LIMIT": "100000000/min",
        "EVENTYAY_PLUGINS_EXCLUDE": ",".join(name for name in installed_plugins() if name not in plugins),
    }
    config = ROOT / "deployment" / "gunicorn.conf.py"
    if server == "wsgi":
        # WSGI for HTTP, one thread per database pool connection (deployment/README.md).
        command = [
            sys.executable, "-m", "gunicorn", "-c", str(config), "--worker-class", "gthread",
            "--threads", str(settings.DB_POOL_SIZE or 8), "eventyay.config.wsgi:application",
        ]  # fmt: skip
    elif config.exists():
        command = [sys.executable, "-m", "gunicorn", "-c", str(config)]
    else:
        command = [
            sys.executable, "-m", "uvicorn", "eventyay.config.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--lifespan", "off", "--log-level", "warning", "--no-access-log",
            "--workers", str(workers),
        ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("the server did not start")
            time.sleep(0.3)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Run:
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    #: ``(seconds since the start, status)`` of every answer, in the order they arrived.
    completions: list[tuple[float, int]] = field(default_factory=list)
    #: ``(seconds since the start when sent, seconds taken, status, client number)`` of every answer.
    answers: list[tuple[float, float, int, int]] = field(default_factory=list)
    #: Answers that closed their connection (``Connection: close``: the server evening out its
    #: workers' connections); the client connected again for its next request.
    closed_by_server: int = 0

    def rate_until_last(self, status: int) -> float:
        """Answers with ``status`` per second, up to the last one (a rush: until sold out)."""
        times = [at for at, code in self.completions if code == status]
        return len(times) / times[-1] if times else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    def slowest(self, count: int) -> list[str]:
        """The ``count`` slowest answers: when each was sent, how long it took, and what else
        was answered meanwhile (201s before it was sent, answers while it waited)."""
        lines = []
        for sent, taken, status, client in sorted(self.answers, key=lambda answer: -answer[1])[:count]:
            sold_before = sum(1 for at, code in self.completions if code == 201 and at <= sent)
            # Its own answer is among the completions of that span.
            meanwhile = sum(1 for at, _code in self.completions if sent < at <= sent + taken) - 1
            lines.append(
                f"sent at {sent * 1000:6.0f} ms, took {taken * 1000:4.0f} ms, {status}, client {client:2d}, "
                f"{sold_before} sold before, {meanwhile} answers meanwhile"
            )
        return lines

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


def hammer(
    port: int,
    *,
    method: str,
    path: str,
    total: int,
    concurrency: int,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    clients: list[http.client.HTTPConnection] | None = None,
    seconds: float | None = None,
) -> Run:
    """``total`` requests from ``concurrency`` threads, each with its own keep-alive connection.

    ``clients``: the connections to use, one per thread, left open for the caller (e.g. buyers
    who browsed the shop and then order over the same connection); otherwise new ones, closed
    at the end. ``seconds``: keep sending until that much time has passed instead of stopping
    after ``total``. A connection the server closes (``Connection: close``) is opened again on
    the next request, as browsers do.
    """
    run = Run()
    lock = threading.Lock()
    remaining = iter(range(total))
    own = clients is None
    connections = clients if clients is not None else open_clients(port, concurrency)
    if len(connections) != concurrency:
        raise ValueError(f"{len(connections)} clients for a concurrency of {concurrency}")
    started_at = time.perf_counter()

    def worker(number: int) -> None:
        connection = connections[number]
        try:
            while True:
                with lock:
                    if seconds is not None:
                        if time.perf_counter() - started_at >= seconds:
                            return
                    elif next(remaining, None) is None:
                        return
                started = time.perf_counter()
                try:
                    connection.request(method, path, body=body, headers=headers or {})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                    closed = response.will_close
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = connections[number] = http.client.HTTPConnection(
                        "127.0.0.1", port, timeout=60
                    )
                    status = 0
                    closed = False
                done = time.perf_counter()
                with lock:
                    run.closed_by_server += closed
                    run.statuses[status] += 1
                    run.latencies.append(done - started)
                    run.completions.append((done - started_at, status))
                    run.answers.append((started - started_at, done - started, status, number))
        finally:
            if own:
                connection.close()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(concurrency)]
    started_at = started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    return run


def open_clients(port: int, count: int) -> list[http.client.HTTPConnection]:
    """``count`` HTTP clients of the server on ``port`` (each connects on its first request)."""
    return [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _number in range(count)]


#: Groups of processes whose CPU time a rush accounts for, in the order they are printed.
CPU_GROUPS = ("server", "client", "PostgreSQL backends", "PostgreSQL other", "Redis")


def _proc_stat(pid: str) -> tuple[str, int, int] | None:
    """``(command name, parent pid, user + system clock ticks)`` of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            line = stat.read()
    except OSError:
        return None
    name = line[line.index("(") + 1 : line.rindex(")")]
    fields = line[line.rindex(")") + 2 :].split()
    return name, int(fields[1]), int(fields[11]) + int(fields[12])


def cpu_snapshot(server: subprocess.Popen) -> dict[int, tuple[str, int]]:
    """CPU clock ticks so far of every process a rush involves, by pid: ``{pid: (group, ticks)}``.

    The server is its master and all descendants; PostgreSQL backends are those connected to
    the bench's database; "PostgreSQL other" are the postmaster and its helpers (WAL writer,
    checkpointer, ...), which work for anything else on the machine too, as does the Redis server.
    """
    database = settings.DATABASES["default"]["NAME"]
    stats: dict[int, tuple[str, int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(entry)) is not None:
            stats[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (_name, parent, _ticks) in stats.items():
        children.setdefault(parent, []).append(pid)
    groups: dict[int, str] = {os.getpid(): "client"}
    pending = [server.pid]
    while pending:
        pid = pending.pop()
        groups[pid] = "server"
        pending.extend(children.get(pid, []))
    for pid, (name, _parent, _ticks) in stats.items():
        if pid in groups:
            continue
        if name.startswith("redis-server"):
            groups[pid] = "Redis"
        elif name == "postgres" or name.startswith("postgres:"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    title = cmdline.read().decode(errors="replace")
            except OSError:
                continue
            if f" {database} " in title:
                groups[pid] = "PostgreSQL backends"
            elif "(" not in title and "[local]" not in title:
                # the postmaster and its helpers (WAL writer, checkpointer, ...), not another
                # database's client backends, whose titles carry the client's address
                groups[pid] = "PostgreSQL other"
    return {pid: (group, stats[pid][2]) for pid, group in groups.items() if pid in stats}


def cpu_ms_by_group(
    before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]
) -> dict[str, float]:
    """CPU milliseconds each group spent between two snapshots (processes started in between count whole)."""
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    spent = dict.fromkeys(CPU_GROUPS, 0.0)
    for pid, (group, ticks) in after.items():
        earlier = before.get(pid)
        spent[group] += (ticks - (earlier[1] if earlier and earlier[0] == group else 0)) * tick_ms
    return spent


def load_average() -> str:
    """The machine's 1-minute load average: figures from a busy machine are not comparable."""
    return f"{os.getloadavg()[0]:.1f}"


def describe_database() -> str:
    return "PostgreSQL" if settings.DATABASE_IS_POSTGRES else "SQLite"


def default_workers() -> int:
    return int(os.environ.get("EVENTYAY_WORKERS") or 4)


def json_headers(token: str) -> dict[str, Any]:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}
