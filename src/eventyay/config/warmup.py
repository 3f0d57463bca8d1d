"""Work a server process does once when it starts, instead of in its first requests.

Django and its libraries build much of their state on first use: the URL resolvers (one
populated set and one compiled regular expression per pattern and language), the translation
catalogues, the validators' regular expressions, the Celery app's task registry, task modules,
message sender and broker connection (an order queues a task after commit), and each
connection of the database pool. In a freshly started worker the first order costs about 15
times a warm one (about 190 ms against 13), and after a deploy or a worker restart every
thread of every worker pays that at once, which is the tail of a ticket rush. The server
worker (:mod:`eventyay.config.server`) calls :func:`warm_up` after loading the application
and before it accepts connections.
"""

from __future__ import annotations

import gc
import logging
import time

from django.apps import apps
from django.conf import settings
from django.core import validators
from django.core.cache import caches
from django.db import connections
from django.urls import URLResolver, get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Build the per-process state requests would otherwise build on first use.

    A step that fails (a service not reachable yet) is logged and skipped: the requests that
    need it will report the problem, as they would without a warm-up.
    """
    started = time.perf_counter()
    for step in (
        _populate_all_urls,
        _compile_validators,
        _fill_database_pools,
        _connect_caches,
        _connect_celery,
    ):
        try:
            step()
        except Exception:
            logger.warning("Warming up (%s) failed", step.__name__, exc_info=True)
    logger.debug("warmed up in %.0f ms", (time.perf_counter() - started) * 1000)


def freeze_heap() -> None:
    """Exempt what start-up built from the garbage collector's full collections.

    A warmed-up worker tracks about 210,000 objects that live as long as the process (modules,
    URL patterns, templates, plugin registries). A full collection walks all of them with the
    GIL held, 60 to 250 ms during which every request of the process stands still; after
    :func:`gc.freeze` collections walk only what requests allocated.
    """
    gc.collect()
    gc.freeze()


def _populate_all_urls() -> None:
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            _populate_urls(get_resolver())


def _populate_urls(resolver: URLResolver) -> None:
    """Populate the reverse dictionaries and compile every pattern for the active language."""
    _ = resolver.reverse_dict, resolver.namespace_dict, resolver.app_dict
    pending = [resolver]
    while pending:
        current = pending.pop()
        _ = current.pattern.regex
        for pattern in current.url_patterns:
            if isinstance(pattern, URLResolver):
                pending.append(pattern)
            else:
                _ = pattern.pattern.regex


def _compile_validators() -> None:
    # Django compiles these expressions lazily, on the first value validated.
    validators.validate_email("warm-up@example.org")
    validators.URLValidator()("https://example.org/warm-up")
    validators.validate_slug("warm-up")
    validators.validate_unicode_slug("warm-up")
    validators.validate_ipv46_address("127.0.0.1")


def _fill_database_pools() -> None:
    """Open every connection of each database pool now rather than in a request."""
    for connection in connections.all(initialized_only=False):
        pool = getattr(connection, "pool", None)
        if pool is None:
            continue
        pool.open()
        stats = pool.get_stats()
        in_use = stats.get("pool_size", 0) - stats.get("pool_available", 0)
        held = [pool.getconn() for _index in range(pool.max_size - in_use)]
        for conn in held:
            pool.putconn(conn)


def _connect_caches() -> None:
    for alias in settings.CACHES:
        caches[alias].get("eventyay:warm-up")


def _connect_celery() -> None:
    from eventyay.config.celery import app

    app.finalize(auto=True)
    # The task modules (``tasks.py`` of each app) and the message sender are otherwise imported
    # and built by the first request that queues a task: a worker's first order paid for both.
    # (Not ``import_default_modules()``: its signal has Celery run Django's system checks.)
    app.loader.autodiscover_tasks([config.name for config in apps.get_app_configs()])
    if app.conf.task_always_eager:
        return
    _ = app.amqp.send_task_message
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)
