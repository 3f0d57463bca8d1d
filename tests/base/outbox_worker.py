"""A Celery worker in a process of its own, for ``test_outbox_worker.py`` to SIGKILL.

It consumes ``OUTBOX_TEST_QUEUE`` with the solo pool and writes mails with Django's file backend
into ``OUTBOX_TEST_MAIL_DIR``, holding each mail for ``OUTBOX_TEST_LEASE`` seconds. With
``OUTBOX_TEST_BLOCK_AT=n`` the n-th mail it sends never gets written: the worker creates the
file ``OUTBOX_TEST_BLOCKED`` and waits there, with the mail claimed, to be killed.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.mail.backends.filebased import EmailBackend  # noqa: E402

from eventyay.base.services import mail  # noqa: E402
from eventyay.config.celery import app  # noqa: E402

BLOCK_AT = int(os.environ.get("OUTBOX_TEST_BLOCK_AT") or 0)


class BlockingFileBackend(EmailBackend):
    sent = 0

    def send_messages(self, email_messages: Any) -> int:
        for _message in email_messages:
            BlockingFileBackend.sent += 1
            if BlockingFileBackend.sent == BLOCK_AT:
                Path(os.environ["OUTBOX_TEST_BLOCKED"]).touch()
                time.sleep(3600)
        return super().send_messages(email_messages)


if __name__ == "__main__":
    settings.EMAIL_BACKEND = "__main__.BlockingFileBackend"
    settings.EMAIL_FILE_PATH = os.environ["OUTBOX_TEST_MAIL_DIR"]
    mail.MAIL_LEASE = timedelta(seconds=float(os.environ["OUTBOX_TEST_LEASE"]))
    queue = os.environ["OUTBOX_TEST_QUEUE"]
    # Tasks this worker queues (the sweep's) go to the queue it consumes.
    app.conf.task_default_queue = queue
    app.worker_main(
        ["worker", "--pool=solo", "-Q", queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle"]
    )
