"""The secret key a self-hosted instance generates for itself on first start."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

from eventyay.config.env import generated_secret_key


def _start_worker(
    key_file: str, barrier: multiprocessing.synchronize.Barrier, keys: multiprocessing.Queue
) -> None:
    barrier.wait()
    keys.put(generated_secret_key(Path(key_file)))


def test_a_generated_key_is_readable_by_its_owner_only(tmp_path):
    previous = os.umask(0)
    try:
        key = generated_secret_key(tmp_path / ".secret")
    finally:
        os.umask(previous)
    assert len(key) >= 50
    assert stat.S_IMODE((tmp_path / ".secret").stat().st_mode) == 0o600
    assert generated_secret_key(tmp_path / ".secret") == key


def test_workers_starting_together_all_use_the_same_key(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = 12
    for attempt in range(5):
        key_file = tmp_path / f"secret-{attempt}"
        barrier = context.Barrier(workers)
        keys = context.Queue()
        processes = [
            context.Process(target=_start_worker, args=(str(key_file), barrier, keys)) for _ in range(workers)
        ]
        for process in processes:
            process.start()
        results = {keys.get(timeout=60) for _ in processes}
        for process in processes:
            process.join(timeout=60)
            assert process.exitcode == 0
        assert results == {key_file.read_text().strip()}
    assert sorted(path.name for path in tmp_path.iterdir()) == [f"secret-{n}" for n in range(5)]


def test_a_key_left_readable_by_others_is_locked_down(tmp_path):
    key_file = tmp_path / ".secret"
    key_file.write_text("an-older-key")
    key_file.chmod(0o644)
    assert generated_secret_key(key_file) == "an-older-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
