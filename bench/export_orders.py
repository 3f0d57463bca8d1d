"""Memory and time of the orders export at 100,000 orders, to XLSX and to CSV.

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench .venv/bin/python bench/export_orders.py [--orders 100000]
    EVENTYAY_DATA_DIR=/tmp/eventyay-bench \\
    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
        .venv/bin/python bench/export_orders.py

A fresh event gets ``--orders`` paid orders of one position and one confirmed payment each,
written with ``bulk_create`` (the rows an export reads, not the order service's work). Then the
tickets plugin's orders exporter renders each format in a fresh process, as an export job's
worker would: it reports the wall time, the peak resident memory (``ru_maxrss``) before and
after rendering, and the progress reports it made. The parent reads every file back (openpyxl,
csv) and counts the rows. Exits non-zero if a file misses rows, the progress did not move, or
a render's peak memory exceeds ``--max-rss-mb`` (default 200).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import _tickets_common as common

FORMATS = ("xlsx", "csv")
BATCH = 5000


def populate(orders: int) -> tuple[str, int]:
    """A fresh event with ``orders`` paid one-position orders; returns its slug and the row count."""
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scope
    from eventyay_tickets.models import Order, OrderPayment, OrderPosition

    shop = common.prepare(f"export-{int(time.time())}", quota=orders)
    event = shop.event
    placed = timezone.now() - dt.timedelta(days=30)
    price = Decimal("99.00")
    with scope(organizer=event.organizer), transaction.atomic():
        for start in range(0, orders, BATCH):
            count = min(BATCH, orders - start)
            created = Order.objects.bulk_create(
                Order(
                    event=event,
                    code=f"B{start + i:07d}",
                    status=Order.Status.PAID,
                    email=f"buyer{start + i}@example.org",
                    total=price,
                    payment_provider="banktransfer",
                    datetime=placed + dt.timedelta(seconds=start + i),
                    expires=placed + dt.timedelta(days=14),
                )
                for i in range(count)
            )
            OrderPosition.objects.bulk_create(
                OrderPosition(
                    order=order,
                    product_id=shop.product_id,
                    price=price,
                    attendee_name=f"Zoë Ångström {order.code}",
                )
                for order in created
            )
            OrderPayment.objects.bulk_create(
                OrderPayment(
                    order=order,
                    provider="banktransfer",
                    amount=price,
                    state=OrderPayment.State.CONFIRMED,
                    payment_date=order.datetime,
                )
                for order in created
            )
    return event.slug, orders


def render(slug: str, fmt: str, path: str) -> dict[str, object]:
    """In this (fresh) process: export the event's orders to ``path``; the figures as a dict."""
    from django_scopes import scope, scopes_disabled
    from eventyay_tickets.exporters import OrdersExporter

    from eventyay.base.exporters import Progress
    from eventyay.base.models import Event

    with scopes_disabled():
        event = Event.objects.select_related("organizer").get(organizer__slug=common.ORGANIZER, slug=slug)
    reports: list[int] = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with scope(organizer=event.organizer), open(path, "wb") as output:
        exporter = OrdersExporter(organizer=event.organizer, event=event)
        exporter.render(exporter.clean_options({"_format": fmt}), output, Progress(reports.append))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "rss_before_mb": before / 1024,
        "rss_peak_mb": peak / 1024,
        "reports": reports,
    }


def count_rows(fmt: str, path: str) -> int:
    """Data rows of the orders list in the file (header left out), read back independently."""
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        rows = sum(1 for _row in workbook["Orders"].iter_rows(values_only=True)) - 1
        workbook.close()
        return rows
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _row in csv.reader(fh)) - 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--max-rss-mb", type=float, default=200.0)
    parser.add_argument("--quick", action="store_true", help="10,000 orders")
    parser.add_argument("--render", nargs=3, metavar=("SLUG", "FORMAT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        print(json.dumps(render(*args.render)))
        return 0
    if args.quick:
        args.orders = 10_000

    started = time.perf_counter()
    slug, expected = populate(args.orders)
    print(f"{expected:,} orders written in {time.perf_counter() - started:.1f} s", flush=True)
    failures = []
    with tempfile.TemporaryDirectory(prefix="eventyay-export-bench-") as folder:
        print(
            "| format | rows | seconds | rows/s | peak RSS MB | RSS before MB | file MB | progress reports |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for fmt in FORMATS:
            path = str(Path(folder) / f"orders.{fmt}")
            child = subprocess.run(
                [sys.executable, __file__, "--render", slug, fmt, path],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                print(child.stderr, file=sys.stderr)
                failures.append(f"{fmt}: the render failed")
                continue
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            rows = count_rows(fmt, path)
            reports = figures["reports"]
            size = Path(path).stat().st_size / 1024 / 1024
            print(
                f"| {fmt} | {rows:,} | {figures['seconds']:.1f} | {rows / figures['seconds']:,.0f} "
                f"| {figures['rss_peak_mb']:.0f} | {figures['rss_before_mb']:.0f} | {size:.1f} "
                f"| {len(reports)}: {', '.join(map(str, reports[:4]))} … {reports[-1] if reports else '-'} |",
                flush=True,
            )
            if rows != expected:
                failures.append(f"{fmt}: {rows} rows instead of {expected}")
            if not any(0 < value < 100 for value in reports) or not reports or reports[-1] != 100:
                failures.append(f"{fmt}: the progress did not move ({reports})")
            if figures["rss_peak_mb"] > args.max_rss_mb:
                failures.append(f"{fmt}: peak RSS {figures['rss_peak_mb']:.0f} MB > {args.max_rss_mb:.0f} MB")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
