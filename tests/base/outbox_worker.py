"""A Celery worker in a process of its own, for ``test_outbox_worker.py`` to SIGKILL.

See :mod:`eventyay.testing.worker_harness`; the mail outbox's lease is the one shortened.
"""

from __future__ import annotations

import os
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")
django.setup()

from eventyay.base.services import mail  # noqa: E402
from eventyay.testing.worker_harness import worker_run  # noqa: E402


def shorten_leases(lease: timedelta) -> None:
    mail.MAIL_LEASE = lease


if __name__ == "__main__":
    worker_run(shorten_leases)
