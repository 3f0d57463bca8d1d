"""Row locks on PostgreSQL: an access code is never redeemed more often than allowed."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_scopes import scope
from eventyay_talk.models import AccessCode
from eventyay_talk.services.cfp import access_code_redeem


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_exceed_the_use_limit(make_event, organizer) -> None:
    event = make_event(slug="rush", plugins=["talk"])
    with scope(organizer=organizer):
        code = AccessCode.objects.create(event=event, code="RUSH", maximum_uses=3)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def redeem() -> None:
        try:
            barrier.wait()
            with scope(organizer=organizer):
                access_code_redeem(event=event, code="RUSH")
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    code.refresh_from_db()
    assert outcomes.count("ok") == 3
    assert outcomes.count("refused") == 5
    assert code.redeemed == 3
