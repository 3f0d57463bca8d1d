"""A Celery worker in a process of its own, for ``test_sending_worker.py`` to SIGKILL.

See :mod:`eventyay.testing.worker_harness`; the message and batch leases are the ones shortened.
"""

from __future__ import annotations

import os
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")
django.setup()

from eventyay_campaigns.services import sending  # noqa: E402

from eventyay.testing.worker_harness import worker_run  # noqa: E402


def shorten_leases(lease: timedelta) -> None:
    sending.MESSAGE_LEASE = lease
    sending.BATCH_LEASE = lease


if __name__ == "__main__":
    worker_run(shorten_leases)
