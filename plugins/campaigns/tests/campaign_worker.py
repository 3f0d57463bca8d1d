"""A Celery worker in a process of its own, for ``test_sending_worker.py`` to SIGKILL.

It consumes ``CAMPAIGN_TEST_QUEUE`` with the solo pool and writes mails with Django's file
backend into ``CAMPAIGN_TEST_MAIL_DIR``; message and batch leases last ``CAMPAIGN_TEST_LEASE``
seconds. With ``CAMPAIGN_TEST_BLOCK_AT=n`` the n-th mail it sends never gets written: the worker
creates the file ``CAMPAIGN_TEST_BLOCKED`` and waits there, holding its claims, to be killed.
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
from eventyay_campaigns.services import sending  # noqa: E402

from eventyay.config.celery import app  # noqa: E402

BLOCK_AT = int(os.environ.get("CAMPAIGN_TEST_BLOCK_AT") or 0)


class BlockingFileBackend(EmailBackend):
    sent = 0

    def send_messages(self, email_messages: Any) -> int:
        for _message in email_messages:
            BlockingFileBackend.sent += 1
            if BlockingFileBackend.sent == BLOCK_AT:
                Path(os.environ["CAMPAIGN_TEST_BLOCKED"]).touch()
                time.sleep(3600)
        return super().send_messages(email_messages)


if __name__ == "__main__":
    settings.EMAIL_BACKEND = "__main__.BlockingFileBackend"
    settings.EMAIL_FILE_PATH = os.environ["CAMPAIGN_TEST_MAIL_DIR"]
    lease = timedelta(seconds=float(os.environ["CAMPAIGN_TEST_LEASE"]))
    sending.MESSAGE_LEASE = lease
    sending.BATCH_LEASE = lease
    queue = os.environ["CAMPAIGN_TEST_QUEUE"]
    # Tasks this worker queues (the next batch, the sweep's) go to the queue it consumes.
    app.conf.task_default_queue = queue
    app.worker_main(
        ["worker", "--pool=solo", "-Q", queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle"]
    )
