import json
import os
import subprocess
import sys

from eventyay.testing.xdist import redis_url_for_process


def test_each_process_gets_the_next_redis_database() -> None:
    assert redis_url_for_process("redis://127.0.0.1:6379/3", 0) == "redis://127.0.0.1:6379/3"
    assert redis_url_for_process("redis://127.0.0.1:6379/3", 1) == "redis://127.0.0.1:6379/4"


def test_a_url_without_database_starts_at_zero() -> None:
    assert redis_url_for_process("redis://:secret@cache:6380", 2) == "redis://:secret@cache:6380/2"


def _process_environment(tmp_path, **env: str) -> dict[str, str]:
    """The data directory and Redis URL a test process sees after loading the pytest plugin."""
    probe = (
        "import json, os, eventyay.testing.plugin; "
        "print(json.dumps({k: os.environ.get(k) for k in ('EVENTYAY_DATA_DIR', 'EVENTYAY_REDIS_URL')}))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_XDIST_WORKER", "EVENTYAY_TEST_SLOT", "EVENTYAY_REDIS_URL")
    }
    environment.update(EVENTYAY_DATA_DIR=str(tmp_path), EVENTYAY_REDIS_URL="redis://127.0.0.1:6379/3", **env)
    output = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.splitlines()[-1])


def test_sessions_run_side_by_side_keep_their_data_and_redis_apart(tmp_path) -> None:
    first = _process_environment(tmp_path)
    third = _process_environment(tmp_path, EVENTYAY_TEST_SLOT="2")
    assert first == {"EVENTYAY_DATA_DIR": str(tmp_path), "EVENTYAY_REDIS_URL": "redis://127.0.0.1:6379/3"}
    assert third == {
        "EVENTYAY_DATA_DIR": str(tmp_path / "s2"),
        "EVENTYAY_REDIS_URL": "redis://127.0.0.1:6379/5",
    }


def test_xdist_workers_keep_their_data_and_redis_apart(tmp_path) -> None:
    second = _process_environment(tmp_path, PYTEST_XDIST_WORKER="gw1")
    assert second == {
        "EVENTYAY_DATA_DIR": str(tmp_path / "gw1"),
        "EVENTYAY_REDIS_URL": "redis://127.0.0.1:6379/4",
    }
