"""A real Celery worker in a process of its own, for tests that SIGKILL it mid-task.

The outbox tests of the core and of plugins prove that a crash never loses nor doubles a
message: a worker process consuming the Redis broker and writing to PostgreSQL is killed while
it holds claimed rows, and another one takes over. This module is both halves of that:

- **In the worker process**, a small script of the test suite calls :func:`worker_run` after
  ``django.setup()``, with a function that shortens the leases of the code under test. The
  worker consumes one queue with the solo pool and writes mails with Django's file backend;
  with ``WORKER_HARNESS_BLOCK_AT=n`` the n-th mail it sends is never written: the worker
  creates the file ``WORKER_HARNESS_BLOCKED`` and waits there, holding its claims, to be killed.
- **In the test**, :func:`queue_route` routes the tasks under test to a queue of the test's
  own (which no in-process worker consumes), :class:`WorkerProcesses` starts worker scripts
  against the test database and kills what is left at the end, and :func:`wait_for`,
  :func:`waiting` and :func:`delivered` observe them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.core.mail.backends.filebased import EmailBackend

QUEUE = "WORKER_HARNESS_QUEUE"
MAIL_DIR = "WORKER_HARNESS_MAIL_DIR"
LEASE = "WORKER_HARNESS_LEASE"
BLOCK_AT = "WORKER_HARNESS_BLOCK_AT"
BLOCKED = "WORKER_HARNESS_BLOCKED"


class BlockingFileBackend(EmailBackend):
    """Django's file backend, blocking for good at the ``WORKER_HARNESS_BLOCK_AT``-th mail."""

    sent = 0

    def send_messages(self, email_messages: Any) -> int:
        block_at = int(os.environ.get(BLOCK_AT) or 0)
        for _message in email_messages:
            BlockingFileBackend.sent += 1
            if BlockingFileBackend.sent == block_at:
                Path(os.environ[BLOCKED]).touch()
                time.sleep(3600)
        return int(super().send_messages(email_messages) or 0)


def worker_run(shorten_leases: Callable[[timedelta], None]) -> None:
    """Run a Celery worker in this process (the worker script's body; never returns).

    ``shorten_leases`` gets the lease of ``WORKER_HARNESS_LEASE`` seconds and sets it on the
    code under test, so a test waits seconds, not minutes, for a killed worker's claims.
    """
    from django.conf import settings

    from eventyay.config.celery import app

    settings.EMAIL_BACKEND = f"{__name__}.BlockingFileBackend"
    settings.EMAIL_FILE_PATH = os.environ[MAIL_DIR]
    shorten_leases(timedelta(seconds=float(os.environ[LEASE])))
    queue = os.environ[QUEUE]
    # Tasks this worker queues (next batches, the sweep's) go to the queue it consumes.
    app.conf.task_default_queue = queue
    app.worker_main(
        ["worker", "--pool=solo", "-Q", queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle"]
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds.

    Generous: starting a worker process (Django, Celery, the broker connection) takes tens of
    seconds on a busy CI machine, and waiting longer costs nothing when things go right.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def delivered(mail_dir: Path, header: str) -> Counter[str]:
    """How often each value of the mail ``header`` was written by the file backend."""
    text = "".join(path.read_text() for path in mail_dir.glob("*.log"))
    return Counter(re.findall(rf"^{re.escape(header)}: (\S+)$", text, re.MULTILINE))


def waiting(queue: str) -> int:
    """Tasks waiting in ``queue``; Redis drops a queue's key once it is empty."""
    from amqp.exceptions import ChannelError

    from eventyay.config.celery import app

    with app.connection_for_write() as conn:
        try:
            # kombu's channel types name only the common methods; Redis channels have these.
            channel: Any = conn.default_channel
            return int(channel.queue_declare(queue, passive=True).message_count)
        except ChannelError:
            return 0


def _to_queue(task: Any, queue: str, *args: Any) -> None:
    task.apply_async(args, queue=queue)


@contextmanager
def queue_route(monkeypatch: Any, tasks: Iterable[Any], name: str) -> Iterator[str]:
    """Send ``tasks``' ``delay()`` calls to the broker queue ``name``, purged at the end.

    Only these tasks go there: the app's default queue stays as it is for the in-process
    worker that later tests start. Eager execution is off meanwhile.
    """
    from eventyay.config.celery import app

    for task in tasks:
        monkeypatch.setattr(task, "delay", partial(_to_queue, task, name))
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield name
    finally:
        app.conf.task_always_eager = eager
        with app.connection_for_write() as conn:
            channel: Any = conn.default_channel
            channel.queue_purge(name)


@contextmanager
def worker_processes(
    monkeypatch: Any, tmp_path: Path, *, script: Path, tasks: Iterable[Any], name: str, lease_seconds: float
) -> Iterator[WorkerProcesses]:
    """The body of a test's worker fixture: ``tasks`` routed to the queue ``name`` (of the
    test's own), workers of ``script`` started on demand and killed at the end."""
    with queue_route(monkeypatch, tasks, name) as queue:
        processes = WorkerProcesses(
            script=script, queue=queue, tmp_path=tmp_path, lease_seconds=lease_seconds
        )
        try:
            yield processes
        finally:
            processes.kill_all()


def workers_fixture(*, script: Path, tasks: Iterable[Any], suffix: str, lease_seconds: float) -> Any:
    """A pytest fixture ``workers`` for a test module: :func:`worker_processes` with these."""
    import pytest

    @pytest.fixture
    def workers(monkeypatch: Any, tmp_path: Path) -> Iterator[WorkerProcesses]:
        with worker_processes(
            monkeypatch,
            tmp_path,
            script=script,
            tasks=tasks,
            name=f"eventyay-tests-{os.getpid()}-{suffix}",
            lease_seconds=lease_seconds,
        ) as processes:
            yield processes

    return workers


class WorkerProcesses:
    """Starts worker scripts (which call :func:`worker_run`) for one test; kills them at the end."""

    def __init__(self, *, script: Path, queue: str, tmp_path: Path, lease_seconds: float) -> None:
        self.script = script
        self.queue = queue
        self.tmp_path = tmp_path
        self.lease_seconds = lease_seconds
        self.started: list[subprocess.Popen[bytes]] = []

    @property
    def mail_dir(self) -> Path:
        return self.tmp_path / "mail"

    @property
    def blocked(self) -> Path:
        """The file a worker started with ``block_at`` creates when it blocks."""
        return self.tmp_path / "blocked"

    def log(self, index: int) -> str:
        return (self.tmp_path / f"worker-{index}.log").read_text()

    def start(self, *, block_at: int = 0) -> subprocess.Popen[bytes]:
        """Start a worker on the test database (PostgreSQL: the test's own database name)."""
        from urllib.parse import urlsplit

        from django.conf import settings
        from django.db import connection

        database = urlsplit(settings.DB_URL)._replace(path="/" + connection.settings_dict["NAME"]).geturl()
        env = {
            **os.environ,
            "EVENTYAY_DB_URL": database,
            QUEUE: self.queue,
            MAIL_DIR: str(self.mail_dir),
            LEASE: str(self.lease_seconds),
            BLOCKED: str(self.blocked),
            BLOCK_AT: str(block_at or ""),
        }
        env.pop("EVENTYAY_EMAIL_URL", None)
        with open(self.tmp_path / f"worker-{len(self.started)}.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, str(self.script)], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.started.append(worker)
        return worker

    def wait_blocked(self, worker: subprocess.Popen[bytes]) -> None:
        """Wait until ``worker`` blocks holding its claims; fail with its log if it died."""
        wait_for(lambda: self.blocked.exists() or worker.poll() is not None, "the worker blocks")
        assert worker.poll() is None, self.log(self.started.index(worker))

    def kill_all(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
