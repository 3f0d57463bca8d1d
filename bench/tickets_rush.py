"""Ticket rush: concurrent API clients create one-position orders against one quota.

    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
    EVENTYAY_REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/tickets_rush.py [--requests 800 --quota 500 --concurrency 1 8 32]

For each concurrency level a fresh event with one product in one quota is created, the server
runs with the production configuration (deployment/gunicorn.conf.py; ``--workers`` processes),
and ``--requests`` POSTs to ``/api/v1/organizers/<org>/events/<event>/orders/`` are sent from
that many threads with keep-alive connections. Reported: orders/s until sold out (successful
orders over the time to the last successful one), orders/s over the whole run, requests/s,
p50/p95/p99 latency of all requests, status counts and the oversell count; then the CPU
milliseconds per request each group of processes spent during each level's rush (server,
client threads, PostgreSQL backends of the bench's database, other PostgreSQL processes,
Redis), read from ``/proc``. Exits non-zero on any oversell, any 5xx or any connection failure.
``--server wsgi`` runs the same configuration with gunicorn's threaded WSGI workers instead of
uvicorn's, to compare.

``--profile N`` measures instead, in this process (Django's test client, no HTTP server), N API
orders of one position and N of five: statements per order (Django's ``CaptureQueriesContext``),
milliseconds per order (``time.perf_counter``) and this process's CPU milliseconds per order
(``time.process_time``, which a busy machine disturbs less), as medians; then the CPU
milliseconds per order of carrying out the orders' deferred effects (audit log, webhooks, mails,
hooks), which a Celery worker does after the commit, measured by draining them in-process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import _tickets_common as common


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--quota", type=int, default=500)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=common.default_workers())
    parser.add_argument(
        "--server",
        choices=("asgi", "wsgi"),
        default="asgi",
        help="uvicorn workers (default) or gunicorn's threaded WSGI workers",
    )
    parser.add_argument(
        "--slowest", type=int, default=0, metavar="N", help="list the N slowest answers of each level"
    )
    parser.add_argument("--send-email", action="store_true", help="queue the order confirmation mail too")
    parser.add_argument("--quick", action="store_true", help="120 requests against a quota of 80")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N orders in-process")
    args = parser.parse_args()
    if args.profile:
        return profile(args.profile)
    if args.quick:
        args.requests, args.quota, args.concurrency = 120, 80, [1, 8]
    run_id = int(time.time())
    shops = {level: common.prepare(f"rush-{run_id}-c{level}", quota=args.quota) for level in args.concurrency}
    port = common.free_port()
    server = common.start_server(port, args.workers, server=args.server)
    failed = False
    cpu: dict[int, dict[str, float]] = {}
    reconnects: dict[int, int] = {}
    slowest: dict[int, list[str]] = {}
    print(
        f"ticket rush: {args.requests} requests, quota {args.quota}, {common.describe_database()}, "
        f"{args.workers} {args.server.upper()} workers, send_email={args.send_email}, load average {common.load_average()}"
    )
    print(
        "| concurrency | orders/s until sold out | orders/s (whole run) | requests/s | p50 ms | p95 ms "
        "| p99 ms | statuses | sold | oversold |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    try:
        for level, shop in shops.items():
            path = f"/api/v1/organizers/{common.ORGANIZER}/events/{shop.event.slug}/orders/"
            body = json.dumps(
                {
                    "email": "rush@example.org",
                    "payment_provider": "banktransfer",
                    "positions": [{"product": shop.product_id, "attendee_name": "Rush"}],
                    "send_email": args.send_email,
                }
            ).encode()
            # The buyers load the shop for a second before the sale opens and then order over
            # the same connections, as browsers do: the event's catalogue is in the workers'
            # caches and the connections have settled on the workers when the rush starts.
            clients = common.open_clients(port, level)
            common.hammer(
                port,
                method="GET",
                path=f"/api/v1/organizers/{common.ORGANIZER}/events/{shop.event.slug}/products/",
                total=0,
                seconds=1.0,
                concurrency=level,
                headers=common.json_headers(shop.token),
                clients=clients,
            )
            cpu_before = common.cpu_snapshot(server)
            run = common.hammer(
                port,
                method="POST",
                path=path,
                total=args.requests,
                concurrency=level,
                body=body,
                headers=common.json_headers(shop.token),
                clients=clients,
            )
            for client in clients:
                client.close()
            reconnects[level] = run.closed_by_server
            cpu[level] = common.cpu_ms_by_group(cpu_before, common.cpu_snapshot(server))
            sold = common.sold(shop)
            oversold = max(0, sold - args.quota)
            expected = min(args.quota, args.requests)
            statuses = ", ".join(f"{code}: {n}" for code, n in sorted(run.statuses.items()))
            print(
                f"| {level} | {run.rate_until_last(201):.0f} | {run.statuses[201] / run.seconds:.0f} "
                f"| {args.requests / run.seconds:.0f} "
                f"| {run.median_ms:.0f} | {run.percentile(95):.0f} | {run.percentile(99):.0f} "
                f"| {statuses} | {sold} | {oversold} |",
                flush=True,
            )
            slowest[level] = run.slowest(args.slowest)
            bad = sum(n for code, n in run.statuses.items() if code >= 500 or code == 0)
            if oversold or bad or run.statuses[201] != sold or sold > expected:
                failed = True
    finally:
        common.stop_server(server)
    print(f"load average at the end: {common.load_average()}")
    print(
        "connections the server closed to even out its workers (the client connected again): "
        + ", ".join(
            f"{count} of {args.requests} answers at concurrency {level}"
            for level, count in reconnects.items()
        )
    )
    print_cpu(cpu, args.requests, min(args.quota, args.requests))
    for level, lines in slowest.items():
        if lines:
            print(f"\nslowest answers at concurrency {level}:")
            print("\n".join(lines))
    return 1 if failed else 0


def print_cpu(cpu: dict[int, dict[str, float]], requests: int, orders: int) -> None:
    """CPU milliseconds per request by process group during each level's rush."""
    print(f"\nCPU ms per request ({requests} requests, {orders} of them orders), by process group:")
    print(f"| concurrency | {' | '.join(common.CPU_GROUPS)} | all | per order, all |")
    print("|---:|" + "---:|" * (len(common.CPU_GROUPS) + 2))
    for level, spent in cpu.items():
        total = sum(spent.values())
        columns = " | ".join(f"{spent[group] / requests:.1f}" for group in common.CPU_GROUPS)
        print(f"| {level} | {columns} | {total / requests:.1f} | {total / max(orders, 1):.1f} |")


def profile(count: int) -> int:
    """Statements and milliseconds per API order, measured in-process (medians over ``count``)."""
    from django.db.models import F
    from django.test import Client
    from django_scopes import scopes_disabled
    from eventyay_tickets.models import Quota

    shop = common.prepare(f"rush-profile-{int(time.time())}", quota=count * 12 + 10)
    client = Client(HTTP_AUTHORIZATION=f"Token {shop.token}")
    path = f"/api/v1/organizers/{common.ORGANIZER}/events/{shop.event.slug}/orders/"
    print(
        f"order profile: {count} orders per size, {common.describe_database()}, load {common.load_average()}"
    )
    print(
        "| positions | statements per order | ms per order (p50) | CPU ms per order (p50) "
        "| fan-out CPU ms per order |"
    )
    print("|---:|---:|---:|---:|---:|")
    for size in (1, 5):
        row = _order_medians(client, path, _order_body(shop, size), count=count, status=201)
        if row is None:
            return 1
        print(f"| {size} | {row} | {_fan_out_cpu_ms(shop)} |")
    # After a sell-out every buyer is refused: what a refusal costs.
    with scopes_disabled():
        Quota.objects.filter(event=shop.event).update(size=F("used"))
    row = _order_medians(client, path, _order_body(shop, 1), count=count, status=400)
    if row is None:
        return 1
    print(f"| 1, refused (sold out) | {row} | none |")
    return 0


def _order_body(shop: common.Shop, positions: int) -> str:
    return json.dumps(
        {
            "email": "rush@example.org",
            "payment_provider": "banktransfer",
            "positions": [{"product": shop.product_id, "attendee_name": "Rush"}] * positions,
            "send_email": False,
        }
    )


def _order_medians(client: Any, path: str, body: str, *, count: int, status: int) -> str | None:
    """Table cells of ``count`` orders' medians (statements, ms, CPU ms); None on another status."""
    import statistics

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements, millis, cpu = [], [], []
    for _i in range(count + 2):
        # The log keeps the last 9,000 statements: once full, a capture would count none.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.post(path, body, content_type="application/json")
            elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu_started
        if response.status_code != status:
            print(f"unexpected answer {response.status_code}: {response.content[:300]!r}")
            return None
        statements.append(len(captured.captured_queries))
        millis.append(elapsed * 1000)
        cpu.append(cpu_elapsed * 1000)
    # The first orders warm the caches (catalogue, settings, token) of this process.
    return (
        f"{statistics.median(statements[2:]):.0f} | {statistics.median(millis[2:]):.1f} "
        f"| {statistics.median(cpu[2:]):.1f}"
    )


def _fan_out_cpu_ms(shop: common.Shop) -> str:
    """CPU ms per order of carrying out its deferred effects (what a Celery worker does later)."""
    try:
        from eventyay.base.models import DeferredEffect
        from eventyay.base.services.deferred import deferred_effects_run
    except ImportError:  # code from before the deferred effects: done in the request
        return "in the request"
    pending = DeferredEffect.objects.filter(event=shop.event).count()
    if not pending:
        return "none"
    cpu_started = time.process_time()
    done = deferred_effects_run()
    return f"{(time.process_time() - cpu_started) * 1000 / max(done, 1):.1f}"


if __name__ == "__main__":
    sys.exit(main())
