"""Public pages and exports through the production server: requests per second at 8 connections.

Builds a shop (20 products, bench/_tickets_common.py) and a conference of 500 talks
(bench/schedule.py's ``build``, released, so its exports are stored), starts gunicorn with the
production configuration (deployment/gunicorn.conf.py, 4 workers by default) and loads each
URL for ``--seconds`` at ``--connections``: the event front page, the shop page, a talk page,
a speaker page, the speaker list, the schedule grid, ``schedule.xml`` and ``schedule.json`` of
the 500 talks, and the submissions API (page of 50, with a token). Anonymous visitors, so the
pages come from the page cache (eventyay.base.services.cache) after the first request.

With ``wrk`` installed (``/usr/bin/wrk``) it drives the load; otherwise a Python client with
one keep-alive connection per thread does. Use PostgreSQL and Redis for figures that mean
anything::

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench \\
    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
    EVENTYAY_REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/public_pages.py [--seconds 10 --connections 8 --talks 500]

``--quick`` loads each URL for 2 seconds with 50 talks. ``--compare`` runs every URL twice, first
with the ASGI fast path for cached pages off (``EVENTYAY_FAST_PAGES=off``: every request goes
through Django's middleware chain), then on, in the same run, so the two are measured under the
same machine load. ``--nginx`` then starts a server with ``EVENTYAY_PRIVATE_X_ACCEL=1`` behind
a throwaway nginx (Debian's package, one worker, the exports location of
``deployment/nginx/eventyay.conf``) and loads the exports through it, plain and with
``Accept-Encoding: gzip``. Each row gives the server's CPU time per request (user + system of
all its processes, from ``/proc``), the figure that does not depend on what else the machine
runs. Exit status 1 if any answer is not a 200.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _tickets_common as common
from tickets_read import queries_per_request

#: Targets of the issue this benchmark answers (requests per second at 8 connections).
TARGETS = {"submissions API (page of 50)": 100}
DEFAULT_TARGET = 300


def wrk(port: int, path: str, *, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for label, key in (("50%", "p50"), ("99%", "p99")):
        match = re.search(rf"\s{re.escape(label)}\s+([\d.]+)(us|ms|s)", output)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[key] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    result["requests"] = float(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = float(errors.group(1)) if errors else 0.0
    if "Socket errors" in output:
        result["errors"] += 1
    return result


def python_client(
    port: int, path: str, *, seconds: int, connections: int, headers: dict[str, str]
) -> dict[str, float]:
    # A fixed count sized from a short probe, so the run lasts about ``seconds``.
    probe = common.hammer(port, method="GET", path=path, total=connections * 10, concurrency=connections,
                          headers=headers)  # fmt: skip
    total = max(connections * 10, int(connections * 10 / max(probe.seconds, 1e-3) * seconds))
    run = common.hammer(port, method="GET", path=path, total=total, concurrency=connections, headers=headers)
    return {
        "requests": float(total + connections * 10),
        "rps": total / run.seconds,
        "p50": run.median_ms,
        "p99": run.percentile(99),
        "errors": float(sum(n for code, n in run.statuses.items() if code != 200)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--talks", type=int, default=500)
    parser.add_argument("--workers", type=int, default=common.default_workers())
    parser.add_argument("--python-client", action="store_true", help="do not use wrk even if installed")
    parser.add_argument("--quick", action="store_true", help="2 seconds per URL, 50 talks")
    parser.add_argument(
        "--compare", action="store_true", help="run every URL with the ASGI fast path off, then on"
    )
    parser.add_argument(
        "--nginx", action="store_true", help="also the exports through nginx with X-Accel-Redirect"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.talks = 2, 50

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    import schedule as schedule_bench  # bench/schedule.py: the conference builder
    from django_scopes import scope, scopes_disabled

    from eventyay.base.services.teams import token_create

    stamp = int(time.time())
    shop = common.prepare(f"pages-{stamp}", quota=100000, products=20)
    conference, _release_seconds = schedule_bench.build(f"pp{stamp}", args.talks)
    with scopes_disabled():
        from eventyay_talk.models import SpeakerProfile, Submission

        talk_code = (
            Submission.objects.filter(event=conference).order_by("code").values_list("code", flat=True)[0]
        )
        speaker_code = (
            SpeakerProfile.objects.filter(event=conference).order_by("code").values_list("code", flat=True)[0]
        )
        team = conference.organizer.teams.get(name="Administrators")
    with scope(organizer=conference.organizer):
        _token, token = token_create(team=team, name="bench pages")

    shop_base = f"/{common.ORGANIZER}/{shop.event.slug}"
    talk_base = f"/{conference.organizer.slug}/{conference.slug}"
    api = f"/api/v1/organizers/{conference.organizer.slug}/events/{conference.slug}"
    targets = [
        ("event front page", f"{shop_base}/", {}),
        ("shop page", f"{shop_base}/tickets/", {}),
        ("talk page", f"{talk_base}/talk/{talk_code}/", {}),
        ("speaker page", f"{talk_base}/speaker/{speaker_code}/", {}),
        ("speaker list", f"{talk_base}/speaker/", {}),
        ("schedule grid", f"{talk_base}/schedule/", {}),
        (f"schedule.xml ({args.talks} talks)", f"{talk_base}/schedule.xml", {}),
        (f"schedule.json ({args.talks} talks)", f"{talk_base}/schedule.json", {}),
        (
            "submissions API (page of 50)",
            f"{api}/submissions/?page_size=50",
            {"Authorization": f"Token {token}"},
        ),
    ]
    use_wrk = not args.python_client and shutil.which("wrk") is not None
    load = wrk if use_wrk else python_client
    queries = {path: queries_per_request(path, token if "Authorization" in headers else None)
               for _label, path, headers in targets}  # fmt: skip
    print(
        f"public pages: {'wrk' if use_wrk else 'Python client'}, {args.connections} connections, "
        f"{args.seconds} s per URL, {common.describe_database()}, {args.workers} workers, "
        f"load average {common.load_average()}"
    )
    failed = False
    modes = ["off", "on"] if args.compare else ["on"]
    for mode in modes:
        # The fast path (eventyay.base.services.fast_pages) answers cached pages before Django.
        os.environ["EVENTYAY_FAST_PAGES"] = mode
        print(f"\nfast path {mode}:")
        failed |= run_targets(targets, queries, load, args)
    if args.nginx:
        failed |= run_nginx(targets, load, args)
    print(f"load average at the end: {common.load_average()}")
    return 1 if failed else 0


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of the server process and its workers, from /proc.

    Includes workers that have exited: gunicorn recycles a worker after ``max_requests``
    (thousands of requests a second here), and the master's "children" times hold theirs.
    """
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            if current == pid:
                total += (int(fields[13]) + int(fields[14])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_targets(
    targets: list[tuple[str, str, dict[str, str]]],
    queries: dict[str, int],
    load: Callable[..., dict[str, float]],
    args: argparse.Namespace,
    *,
    port: int | None = None,
    pid: int | None = None,
) -> bool:
    """Load each target on a fresh server (or on ``port``); print a table row each; True if any failed."""
    server = None
    if port is None:
        # The tickets helper starts the server with the tickets plugin only; the talk pages need both.
        port = common.free_port()
        server = common.start_server(port, args.workers, plugins=("tickets", "talk"))
        pid = server.pid
    failed = False
    print(
        "| URL | requests/s | p50 ms | p99 ms | server CPU ms/request | target | non-200 | queries/request |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for label, path, headers in targets:
            # Warm up: the first request renders the page and fills the cache.
            common.hammer(port, method="GET", path=path, total=args.connections * 2, concurrency=args.connections,
                          headers=headers)  # fmt: skip
            cpu_before = server_cpu_seconds(pid) if pid else 0.0
            result = load(port, path, seconds=args.seconds, connections=args.connections, headers=headers)
            cpu_ms = (
                (server_cpu_seconds(pid) - cpu_before) * 1000 / max(result["requests"], 1) if pid else 0.0
            )
            target = TARGETS.get(label, DEFAULT_TARGET)
            print(
                f"| {label} | {result['rps']:.0f} | {result.get('p50', 0):.1f} | {result.get('p99', 0):.1f} "
                f"| {cpu_ms:.1f} | {target} | {result['errors']:.0f} | {queries.get(path, '')} |",
                flush=True,
            )
            if result["errors"]:
                failed = True
    finally:
        if server is not None:
            common.stop_server(server)
    return failed


NGINX_CONF = """
worker_processes 1;
daemon off;
user root;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    types {{ application/json json; application/xml xml; text/calendar ics; }}
    upstream app {{ server 127.0.0.1:{app_port}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
        # As deployment/nginx/eventyay.conf: exports sent from the stored files.
        location /_exports/ {{
            internal;
            alias {exports}/;
            gzip_static on;
            gzip_vary on;
            etag off;
            add_header ETag $upstream_http_etag always;
            add_header Access-Control-Allow-Origin $upstream_http_access_control_allow_origin always;
        }}
    }}
}}
"""


def run_nginx(
    targets: list[tuple[str, str, dict[str, str]]],
    load: Callable[..., dict[str, float]],
    args: argparse.Namespace,
) -> bool:
    """The exports through nginx (Debian's package) with X-Accel-Redirect, plain and gzip."""
    from django.conf import settings

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        print("nginx not installed: exports through nginx not measured")
        return False
    os.environ["EVENTYAY_PRIVATE_X_ACCEL"] = "1"
    os.environ["EVENTYAY_FAST_PAGES"] = "on"
    app_port, port = common.free_port(), common.free_port()
    server = common.start_server(app_port, args.workers, plugins=("tickets", "talk"))
    folder = Path(tempfile.mkdtemp(prefix="eventyay-nginx-"))
    exports = Path(settings.DATA_DIR) / "private" / "talk" / "exports"
    (folder / "nginx.conf").write_text(
        NGINX_CONF.format(dir=folder, app_port=app_port, port=port, exports=exports)
    )
    process = subprocess.Popen([nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder)])
    try:
        time.sleep(1)
        exports_only = [
            (label, path, headers) for label, path, headers in targets if ".xml" in path or ".json" in path
        ]
        gzip_too = [(f"{label}, gzip", path, {**headers, "Accept-Encoding": "gzip"})
                    for label, path, headers in exports_only]  # fmt: skip
        print(f"\nexports through nginx {nginx} (X-Accel-Redirect, 1 nginx worker):")
        return run_targets(exports_only + gzip_too, {}, load, args, port=port, pid=server.pid)
    finally:
        process.terminate()
        process.wait(10)
        common.stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("EVENTYAY_PRIVATE_X_ACCEL", None)


if __name__ == "__main__":
    sys.exit(main())
