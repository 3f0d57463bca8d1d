"""eventyay: a slim, pluggable event platform."""

__version__ = "1.0.0.dev0"

# Importing the Celery app here makes @shared_task bind to it in every process (web and worker).
from eventyay.config.celery import app as celery_app

__all__ = ["__version__", "celery_app"]
