"""Public read throughput: the shop page and the products API at concurrency 8.

    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
    EVENTYAY_REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/tickets_read.py [--requests 2000 --concurrency 8 --products 20]

A fresh event gets ``--products`` products in one quota and a few orders; the server runs with
the production configuration (deployment/gunicorn.conf.py). Reported per URL: requests/s,
p50/p95/p99 latency, status counts, and the database queries of one request (counted
in-process with Django's test client). Exits non-zero if a request fails.
"""

from __future__ import annotations

import argparse
import sys
import time

import _tickets_common as common


def queries_per_request(path: str, token: str | None) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}") if token else Client()
    client.get(path)
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(context.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--workers", type=int, default=common.default_workers())
    parser.add_argument("--quick", action="store_true", help="200 requests per URL")
    args = parser.parse_args()
    if args.quick:
        args.requests = 200
    shop = common.prepare(f"read-{int(time.time())}", quota=10000, products=args.products)
    from django_scopes import scope
    from eventyay_tickets.services import order_place

    with scope(organizer=shop.event.organizer):
        for _i in range(20):
            order_place(
                event=shop.event,
                email="reader@example.org",
                positions=[{"product": shop.product_id}],
                payment_provider="banktransfer",
                send_email=False,
            )
    base = f"/{common.ORGANIZER}/{shop.event.slug}"
    targets = [
        ("shop page", f"{base}/tickets/", None),
        (
            "products API",
            f"/api/v1/organizers/{common.ORGANIZER}/events/{shop.event.slug}/products/",
            shop.token,
        ),
    ]
    port = common.free_port()
    server = common.start_server(port, args.workers)
    failed = False
    print(
        f"public reads: {args.requests} requests per URL at concurrency {args.concurrency}, "
        f"{args.products} products, {common.describe_database()}, {args.workers} workers, "
        f"load average {common.load_average()}"
    )
    print("| URL | requests/s | p50 ms | p95 ms | p99 ms | statuses | queries/request |")
    print("|---|---:|---:|---:|---:|---|---:|")
    try:
        for label, path, token in targets:
            headers = {"Authorization": f"Token {token}"} if token else {}
            common.hammer(port, method="GET", path=path, total=args.concurrency * 5, concurrency=args.concurrency,
                          headers=headers)  # fmt: skip
            run = common.hammer(
                port,
                method="GET",
                path=path,
                total=args.requests,
                concurrency=args.concurrency,
                headers=headers,
            )
            statuses = ", ".join(f"{code}: {n}" for code, n in sorted(run.statuses.items()))
            print(
                f"| {label} | {args.requests / run.seconds:.0f} | {run.median_ms:.1f} | {run.percentile(95):.1f} "
                f"| {run.percentile(99):.1f} | {statuses} | {queries_per_request(path, token)} |",
                flush=True,
            )
            if set(run.statuses) != {200}:
                failed = True
    finally:
        common.stop_server(server)
    print(f"load average at the end: {common.load_average()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
