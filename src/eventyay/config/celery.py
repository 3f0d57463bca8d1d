"""The Celery app. Workers: ``celery -A eventyay.config.celery worker``; beat: ``... beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

app = Celery("eventyay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
