"""The beat sweep: outbox rows whose backoff ended are sent, stale connections reconciled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope
from eventyay_cms.models import Connection, OutboxEntry, PulledPage, PushMapping
from eventyay_cms.services.pull import pull
from eventyay_cms.services.push import push_due
from eventyay_cms.tasks import cms_sweep


@pytest.fixture
def wordpress(contract_wordpress: Any) -> Any:
    """Each test runs against the in-process fake and against a real WordPress."""
    return contract_wordpress


def test_sweep_retries_due_rows_and_reconciles_once_a_day(wordpress, wp_connection, released):
    released()  # pushed at once: the release's task ran after commit
    assert wordpress.by_slug("pages", "cmsconf-schedule")
    organizer = wp_connection.event.organizer
    with scope(organizer=organizer):
        assert not OutboxEntry.objects.filter(connection=wp_connection).exists()
        OutboxEntry.objects.create(connection=wp_connection, resource="schedule")
        # As if the schedule changed since the last push: the row must reach WordPress.
        PushMapping.objects.filter(connection=wp_connection, resource="schedule").update(content_hash="")
        Connection.objects.filter(pk=wp_connection.pk).update(
            push=["schedule"], pull=["pages"], last_reconciled=timezone.now() - timedelta(days=2)
        )
        wp_connection.refresh_from_db()
        wordpress.app_password = "revoked"
        push_due(wp_connection)
        row = OutboxEntry.objects.get(connection=wp_connection)
        assert row.attempts == 1 and row.due > timezone.now()
        wordpress.app_password = "abcdEFGHijklMNOPqrstUVWX"
        page = wordpress.add("pages", "Old page", slug="old-page")
        pull(wp_connection)
        wordpress.remove("pages", page)
        OutboxEntry.objects.filter(pk=row.pk).update(due=timezone.now() - timedelta(seconds=1))
        Connection.objects.filter(pk=wp_connection.pk).update(
            last_reconciled=timezone.now() - timedelta(days=2)
        )

    cms_sweep()

    with scope(organizer=organizer):
        assert not OutboxEntry.objects.filter(connection=wp_connection).exists()
        assert not PulledPage.objects.get(connection=wp_connection, external_id=f"page:{page}").published
