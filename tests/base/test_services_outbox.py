import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail
from eventyay.base.services import outbox
from eventyay.base.services.outbox import claim_due

LEASE = timedelta(minutes=5)


def make_mails(organizer, count):
    with scopes_disabled():
        return [
            OutgoingMail.objects.create(
                organizer=organizer, to=["a@example.org"], subject=f"m{n}", body_text="x"
            )
            for n in range(count)
        ]


def claim(limit=1, now=None):
    with scopes_disabled():
        queryset = OutgoingMail.objects.filter(status__in=("queued", "sending"))
        return claim_due(
            queryset, lease=LEASE, limit=limit, now=now, status="sending", attempts=F("attempts") + 1
        )


@pytest.mark.django_db
def test_claims_never_share_a_row_until_the_lease_runs_out(organizer):
    mails = make_mails(organizer, 5)
    first, second, third = claim(limit=2), claim(limit=10), claim(limit=10)
    assert len(first) == 2 and len(second) == 3 and third == []
    assert {m.pk for m in first} | {m.pk for m in second} == {m.pk for m in mails}
    assert all(m.status == "sending" and m.attempts == 1 for m in first + second)

    after_lease = timezone.now() + LEASE + timedelta(seconds=1)
    reclaimed = claim(limit=10, now=after_lease)
    assert sorted(m.pk for m in reclaimed) == sorted(m.pk for m in mails)
    assert {m.attempts for m in reclaimed} == {2}


@pytest.mark.django_db
def test_rows_are_claimed_only_when_due_and_within_the_queryset(organizer):
    due, later, sent = make_mails(organizer, 3)
    with scopes_disabled():
        OutgoingMail.objects.filter(pk=later.pk).update(next_attempt=timezone.now() + timedelta(hours=1))
        OutgoingMail.objects.filter(pk=sent.pk).update(status="sent")
    assert [m.pk for m in claim(limit=10)] == [due.pk]


@pytest.mark.django_db
def test_a_row_another_claimer_took_after_it_was_read_is_not_claimed_again(organizer, monkeypatch):
    # The path without row locks (SQLite): another claimer takes the rows between this
    # claimer's read and its update; the conditional update must notice.
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", False)
    mails = make_mails(organizer, 3)
    read_candidates = outbox._due_pks
    rival: list[OutgoingMail] = []

    def read_then_lose_the_race(due, limit):
        candidates = read_candidates(due, limit)
        monkeypatch.setattr(outbox, "_due_pks", read_candidates)
        rival.extend(claim(limit=2))
        return candidates

    monkeypatch.setattr(outbox, "_due_pks", read_then_lose_the_race)
    mine = claim(limit=3)
    assert [m.pk for m in rival] == [mails[0].pk, mails[1].pk]
    assert [m.pk for m in mine] == [mails[2].pk]
    with scopes_disabled():
        assert set(OutgoingMail.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_claimer_skips_rows_another_claimer_has_locked(organizer):
    first, second = make_mails(organizer, 2)
    locked, released = threading.Event(), threading.Event()
    held: list[OutgoingMail] = []
    outcome: dict[str, bool] = {}

    def hold_a_claim_open():
        try:
            with transaction.atomic():
                held.extend(claim())
                locked.set()
                outcome["released_in_time"] = released.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_a_claim_open)
    holder.start()
    assert locked.wait(timeout=30)
    # Not blocked by the uncommitted claim of the first row, and not handed it either.
    mine = claim()
    released.set()
    holder.join()
    assert [m.pk for m in held] == [first.pk]
    assert [m.pk for m in mine] == [second.pk]
    assert outcome["released_in_time"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_get_every_row_exactly_once(organizer):
    mails = make_mails(organizer, 40)
    start = threading.Barrier(4)
    claimed: list[list[int]] = [[] for _ in range(4)]

    def claim_until_empty(index):
        try:
            start.wait()
            while rows := claim(limit=2):
                claimed[index].extend(m.pk for m in rows)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim_until_empty, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [pk for pks in claimed for pk in pks]
    assert sorted(everything) == sorted(m.pk for m in mails)
