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

``--quick`` loads each URL for 2 seconds with 50 talks. Exit status 1 if any answer is not a 200.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time

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
    # The tickets helper starts the server with the tickets plugin only; the talk pages need both.
    port = common.free_port()
    server = common.start_server(port, args.workers, plugins=("tickets", "talk"))
    failed = False
    print(
        f"public pages: {'wrk' if use_wrk else 'Python client'}, {args.connections} connections, "
        f"{args.seconds} s per URL, {common.describe_database()}, {args.workers} workers, "
        f"load average {common.load_average()}"
    )
    print("| URL | requests/s | p50 ms | p99 ms | target | non-200 | queries/request |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    try:
        for label, path, headers in targets:
            # Warm up: the first request renders the page and fills the cache.
            common.hammer(port, method="GET", path=path, total=args.connections * 2, concurrency=args.connections,
                          headers=headers)  # fmt: skip
            result = load(port, path, seconds=args.seconds, connections=args.connections, headers=headers)
            target = TARGETS.get(label, DEFAULT_TARGET)
            api_token = token if "Authorization" in headers else None
            print(
                f"| {label} | {result['rps']:.0f} | {result.get('p50', 0):.1f} | {result.get('p99', 0):.1f} "
                f"| {target} | {result['errors']:.0f} | {queries_per_request(path, api_token)} |",
                flush=True,
            )
            if result["errors"]:
                failed = True
    finally:
        common.stop_server(server)
    print(f"load average at the end: {common.load_average()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
