"""Run every benchmark script in bench/ and summarise how each one went.

    .venv/bin/python bench/run.py              # full runs (make bench)
    .venv/bin/python bench/run.py --quick      # short runs, e.g. to check that the scripts work
    .venv/bin/python bench/run.py --only hooks tickets_rush

Every ``bench/<name>.py`` (except this file and modules starting with ``_``) is a benchmark.
A script that accepts ``--quick`` gets it in short mode; one that does not runs in full. Each
runs in its own process with the current environment, so ``EVENTYAY_DB_URL`` and
``EVENTYAY_REDIS_URL`` select PostgreSQL and Redis as for the application; without
``EVENTYAY_DATA_DIR`` a fresh temporary data directory is used per script. The exit status is
non-zero if any script failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
QUICK_FLAG = "--quick"


@dataclass
class Outcome:
    name: str
    returncode: int
    seconds: float
    quick: bool


def discover() -> list[Path]:
    return sorted(
        path
        for path in BENCH_DIR.glob("*.py")
        if path.name != Path(__file__).name and not path.name.startswith("_")
    )


def supports_quick(script: Path) -> bool:
    return f'"{QUICK_FLAG}"' in script.read_text(encoding="utf-8")


def run_one(script: Path, *, quick: bool, timeout: float) -> Outcome:
    use_quick = quick and supports_quick(script)
    command = [sys.executable, str(script), *([QUICK_FLAG] if use_quick else [])]
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix=f"eventyay-bench-{script.stem}-") as data_dir:
        env.setdefault("EVENTYAY_DATA_DIR", data_dir)
        print(f"\n=== {script.stem}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        try:
            returncode = subprocess.run(command, env=env, cwd=BENCH_DIR.parent, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            print(f"--- {script.stem} did not finish within {timeout:.0f} s", flush=True)
            returncode = -1
    return Outcome(script.stem, returncode, time.monotonic() - started, use_quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(QUICK_FLAG, action="store_true", help="short runs of the scripts that support it")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these scripts (names without .py)"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds allowed per script (default 3600)"
    )
    args = parser.parse_args(argv)

    scripts = discover()
    if args.only:
        unknown = set(args.only) - {script.stem for script in scripts}
        if unknown:
            parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
        scripts = [script for script in scripts if script.stem in args.only]
    if not scripts:
        print("No benchmark scripts in bench/.")
        return 1

    outcomes = [run_one(script, quick=args.quick, timeout=args.timeout) for script in scripts]

    print("\n=== summary")
    width = max(len(outcome.name) for outcome in outcomes)
    for outcome in outcomes:
        status = "ok" if outcome.returncode == 0 else f"FAILED ({outcome.returncode})"
        mode = "quick" if outcome.quick else "full"
        print(f"{outcome.name:<{width}}  {status:<12} {mode:<5} {outcome.seconds:8.1f} s")
    return 0 if all(outcome.returncode == 0 for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
