"""Deferred effects: one row in the write's transaction, carried out once after the commit."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.models import DeferredEffect, LogEntry
from eventyay.base.services import deferred
from eventyay.base.services.deferred import defer, deferred_effects_run, register_effect
from eventyay.base.services.log import log_action
from eventyay.base.tasks import deferred_effects_sweep

KIND = "tests.deferred.logged"
FLAKY = "tests.deferred.flaky"
failures_left = {"count": 0}


@register_effect(KIND)
def write_log_entry(effect):
    # A row written by the handler: counting them counts how often the effect happened.
    with scopes_disabled():
        log_action(action=KIND, organizer=effect.organizer, data={"n": effect.payload["n"]})


@register_effect(FLAKY)
def fail_then_log(effect):
    with scopes_disabled():
        log_action(action=FLAKY, organizer=effect.organizer, data={})
    if failures_left["count"] > 0:
        failures_left["count"] -= 1
        raise RuntimeError("not yet")


def logged(action=KIND):
    with scopes_disabled():
        return sorted(LogEntry.objects.filter(action_type=action).values_list("data__n", flat=True))


@pytest.mark.django_db(transaction=True)
def test_effects_run_once_after_commit_and_the_row_is_gone(organizer):
    with transaction.atomic():
        for n in range(3):
            defer(KIND, {"n": n}, organizer=organizer)
        # Nothing happens before the commit: the effects belong to a write that may still fail.
        assert logged() == []
    assert logged() == [0, 1, 2]
    assert not DeferredEffect.objects.exists()
    # Running the workers again (a redelivered task, the sweep) finds nothing to repeat.
    assert deferred_effects_run() == 0
    deferred_effects_sweep()
    assert logged() == [0, 1, 2]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_no_row_and_no_effect(organizer):
    with pytest.raises(RuntimeError), transaction.atomic():
        defer(KIND, {"n": 1}, organizer=organizer)
        raise RuntimeError("the order failed")
    assert not DeferredEffect.objects.exists()
    deferred_effects_run()
    assert logged() == []


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_commit_and_fan_out_is_recovered_by_the_sweep(organizer, monkeypatch):
    # The process dies right after the commit: the after-commit fan-out never runs.
    monkeypatch.setattr(deferred, "_after_commit", lambda pk: None)
    with transaction.atomic():
        defer(KIND, {"n": 7}, organizer=organizer)
    assert logged() == []
    assert DeferredEffect.objects.count() == 1
    deferred_effects_sweep()
    assert logged() == [7]
    assert not DeferredEffect.objects.exists()
    deferred_effects_sweep()
    assert logged() == [7]


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_rolled_back_and_retried_later(organizer):
    failures_left["count"] = 1
    with transaction.atomic():
        defer(FLAKY, {}, organizer=organizer)
        defer(KIND, {"n": 1}, organizer=organizer)
    # The failing row's own writes were rolled back; its neighbour in the batch went through.
    assert logged(FLAKY) == [] and logged() == [1]
    row = DeferredEffect.objects.get()
    assert row.attempts == 1 and "not yet" in row.error
    assert row.next_attempt > timezone.now()
    assert deferred_effects_run() == 0  # not due yet
    assert deferred_effects_run(now=row.next_attempt + timedelta(seconds=1)) == 1
    assert len(logged(FLAKY)) == 1
    assert not DeferredEffect.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_that_keeps_failing_stays_for_an_administrator(organizer):
    failures_left["count"] = deferred.MAX_ATTEMPTS
    with transaction.atomic():
        defer(FLAKY, {}, organizer=organizer)
    later = timezone.now()
    for _attempt in range(deferred.MAX_ATTEMPTS):
        later += timedelta(days=1)
        deferred_effects_run(now=later)
    row = DeferredEffect.objects.get()
    assert row.attempts == deferred.MAX_ATTEMPTS and row.next_attempt is None
    assert deferred_effects_run(now=later + timedelta(days=30)) == 0
    assert logged(FLAKY) == []


@pytest.mark.django_db
def test_unknown_kinds_are_refused_when_written(organizer):
    with pytest.raises(LookupError):
        defer("tests.deferred.nobody", {}, organizer=organizer)
    with pytest.raises(ValueError):
        register_effect(KIND)(lambda effect: None)


@pytest.mark.django_db(transaction=True)
def test_with_a_broker_a_rush_queues_one_task_which_drains_every_row(organizer, monkeypatch):
    from django.core.cache import cache

    from eventyay.base import tasks
    from eventyay.config.celery import app

    queued = []
    monkeypatch.setattr(tasks.deferred_effects_fan_out, "delay", lambda: queued.append(1))
    cache.delete(deferred.KICK_KEY)
    app.conf.task_always_eager = False
    try:
        for n in range(5):
            with transaction.atomic():
                defer(KIND, {"n": n}, organizer=organizer)
        assert len(queued) == 1 and logged() == []
        # The task: drains the rows, then lets the next write queue a new task.
        assert deferred.deferred_effects_fan_out() == 5
        assert logged() == [0, 1, 2, 3, 4]
        with transaction.atomic():
            defer(KIND, {"n": 5}, organizer=organizer)
        assert len(queued) == 2
    finally:
        app.conf.task_always_eager = True
        cache.delete(deferred.KICK_KEY)


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_carry_out_each_row_once(organizer, monkeypatch):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite serialises the workers' transactions")
    monkeypatch.setattr(deferred, "_after_commit", lambda pk: None)
    with transaction.atomic():
        for n in range(60):
            defer(KIND, {"n": n}, organizer=organizer)
    barrier = threading.Barrier(3)
    counts = []

    def worker():
        try:
            barrier.wait()
            counts.append(deferred_effects_run(batch_size=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 60
    assert logged() == list(range(60))
    assert not DeferredEffect.objects.exists()
