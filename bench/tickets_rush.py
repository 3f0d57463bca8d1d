"""Ticket rush: concurrent API clients create one-position orders against one quota.

    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
    EVENTYAY_REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/tickets_rush.py [--requests 800 --quota 500 --concurrency 1 8 32]

For each concurrency level a fresh event with one product in one quota is created, the server
runs with the production configuration (deployment/gunicorn.conf.py; ``--workers`` processes),
and ``--requests`` POSTs to ``/api/v1/organizers/<org>/events/<event>/orders/`` are sent from
that many threads with keep-alive connections. Reported: orders/s (successful orders over the
wall time of the whole run), requests/s, p50/p95/p99 latency, status counts and the oversell
count. Exits non-zero on any oversell, any 5xx or any connection failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import _tickets_common as common


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--quota", type=int, default=500)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=common.default_workers())
    parser.add_argument("--send-email", action="store_true", help="queue the order confirmation mail too")
    parser.add_argument("--quick", action="store_true", help="120 requests against a quota of 80")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.quota, args.concurrency = 120, 80, [1, 8]
    run_id = int(time.time())
    shops = {level: common.prepare(f"rush-{run_id}-c{level}", quota=args.quota) for level in args.concurrency}
    port = common.free_port()
    server = common.start_server(port, args.workers)
    failed = False
    print(
        f"ticket rush: {args.requests} requests, quota {args.quota}, {common.describe_database()}, "
        f"{args.workers} workers, send_email={args.send_email}, load average {common.load_average()}"
    )
    print("| concurrency | orders/s | requests/s | p50 ms | p95 ms | p99 ms | statuses | sold | oversold |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|---:|")
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
            common.hammer(port, method="GET", path="/healthz", total=level * 4, concurrency=level)
            run = common.hammer(
                port,
                method="POST",
                path=path,
                total=args.requests,
                concurrency=level,
                body=body,
                headers=common.json_headers(shop.token),
            )
            sold = common.sold(shop)
            oversold = max(0, sold - args.quota)
            expected = min(args.quota, args.requests)
            statuses = ", ".join(f"{code}: {n}" for code, n in sorted(run.statuses.items()))
            print(
                f"| {level} | {run.statuses[201] / run.seconds:.0f} | {args.requests / run.seconds:.0f} "
                f"| {run.median_ms:.0f} | {run.percentile(95):.0f} | {run.percentile(99):.0f} "
                f"| {statuses} | {sold} | {oversold} |",
                flush=True,
            )
            bad = sum(n for code, n in run.statuses.items() if code >= 500 or code == 0)
            if oversold or bad or run.statuses[201] != sold or sold > expected:
                failed = True
    finally:
        common.stop_server(server)
    print(f"load average at the end: {common.load_average()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
