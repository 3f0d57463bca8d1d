"""A server worker builds its per-process state before it accepts connections."""

import logging

import pytest
from django.db import connections
from django.urls import get_resolver

from eventyay.config import server, warmup
from eventyay.config.celery import app as celery_app


@pytest.mark.django_db
def test_warm_up_populates_the_url_resolver_for_every_language_and_finalizes_celery(monkeypatch):
    from django.conf import settings

    resolver = get_resolver()
    resolver._reverse_dict.clear()
    monkeypatch.setattr(celery_app.loader, "task_modules", set())
    warmup.warm_up()
    assert {code for code, _name in settings.LANGUAGES} <= set(resolver._reverse_dict)
    assert celery_app.finalized
    assert {"eventyay.base.tasks", "eventyay_tickets.tasks"} <= celery_app.loader.task_modules


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_warm_up_opens_every_connection_of_the_pool_and_keeps_none():
    pool = connections["default"].pool
    assert pool is not None
    pool.open()
    before = pool.get_stats()
    # Connections other threads of the session hold stay theirs; the warm-up keeps none.
    in_use = before.get("pool_size", 0) - before.get("pool_available", 0)
    warmup.warm_up()
    after = pool.get_stats()
    assert after["pool_size"] == pool.max_size
    assert after["pool_size"] - after["pool_available"] == in_use


@pytest.mark.services
def test_warm_up_builds_the_task_sender_and_connects_to_the_broker(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    celery_app.amqp.__dict__.pop("send_task_message", None)
    warmup._connect_celery()
    assert "send_task_message" in celery_app.amqp.__dict__


def test_a_failing_step_is_logged_and_the_rest_still_runs(monkeypatch, caplog):
    done = []

    def broken() -> None:
        raise ConnectionError("Redis is not up yet")

    monkeypatch.setattr(warmup, "_populate_all_urls", broken)
    monkeypatch.setattr(warmup, "_connect_celery", lambda: done.append("celery"))
    monkeypatch.setattr(warmup, "_fill_database_pools", lambda: done.append("pools"))
    with caplog.at_level(logging.WARNING, logger="eventyay.config.warmup"):
        warmup.warm_up()
    assert "Warming up (broken) failed" in caplog.text and "Redis is not up yet" in caplog.text
    assert done == ["pools", "celery"]


def test_the_server_worker_warms_up_before_it_serves(monkeypatch):
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append("warm up"))
    monkeypatch.setattr(warmup, "freeze_heap", lambda: calls.append("freeze"))
    monkeypatch.setattr(server._UvicornWorker, "run", lambda self: calls.append("serve"))
    worker = server.UvicornWorker.__new__(server.UvicornWorker)
    worker.run()
    assert calls == ["warm up", "freeze", "serve"]


def test_freezing_the_heap_leaves_full_collections_only_the_new_objects():
    import gc

    try:
        warmup.freeze_heap()
        assert gc.get_freeze_count() > 10_000
        garbage = [[] for _index in range(1000)]
        for item in garbage:
            item.append(item)  # cycles only a collection frees
        del garbage, item
        assert gc.collect() >= 1000
    finally:
        gc.unfreeze()
