"""Idempotency keys whose first request never finished."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope

from eventyay.api.middleware import ApiMiddleware
from eventyay.api.models import IdempotencyKey
from eventyay.base.models import Event

EVENT = {"slug": "lease", "name": {"en": "Lease"}, "date_from": "2030-01-01T10:00:00Z"}
URL = "/api/v1/organizers/example/events/"


class WorkerDied(BaseException):
    """Stands for a worker killed mid-request: nothing after it runs, not even cleanup."""


@pytest.mark.django_db
def test_a_key_left_in_progress_by_a_dead_worker_is_taken_over_after_its_lease(
    api_client, organizer, monkeypatch
):
    def dies(self, *, record_pk, request):
        raise WorkerDied()

    with monkeypatch.context() as patched:
        patched.setattr(ApiMiddleware, "_run", dies)
        with pytest.raises(WorkerDied):
            api_client.post(URL, EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="dead")
    record = IdempotencyKey.objects.get(key="dead")
    assert record.response_status is None and record.lease_until > timezone.now()

    busy = api_client.post(URL, EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="dead")
    assert busy.status_code == 409 and busy["Retry-After"] == "1"

    IdempotencyKey.objects.filter(pk=record.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    retried = api_client.post(URL, EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="dead")
    assert retried.status_code == 201
    replayed = api_client.post(URL, EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="dead")
    assert replayed.status_code == 201 and replayed["X-Idempotency-Replayed"] == "true"
    with scope(organizer=organizer):
        assert Event.objects.filter(slug="lease").count() == 1


@pytest.mark.django_db
def test_a_lapsed_lease_of_another_request_is_still_a_conflict(api_client, organizer):
    IdempotencyKey.objects.all().delete()
    first = api_client.post(URL, EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="mine")
    assert first.status_code == 201
    IdempotencyKey.objects.filter(key="mine").update(
        response_status=None, lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    other = api_client.post(URL, {**EVENT, "slug": "other"}, format="json", HTTP_X_IDEMPOTENCY_KEY="mine")
    assert other.status_code == 409
    assert "different request" in other.json()["detail"]
