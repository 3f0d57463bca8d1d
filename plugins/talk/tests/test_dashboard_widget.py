"""The proposals box on the event dashboard: counts by state in constant queries, permission-bound."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

DASHBOARD = "/control/event/example/conf/"


def count(html: str, state: str) -> int:
    return int(re.search(rf'data-state="{state}">(\d+)<', html).group(1))


def test_dashboard_counts_proposals_by_state(client_for, user, make_submission):
    client = client_for(user)
    client.get(DASHBOARD)
    # Both measured requests follow a change (a request after one reads the event anew).
    make_submission(title="One", state="submitted")
    make_submission(title="Draft", state="draft")
    with CaptureQueriesContext(connection) as few:
        html = client.get(DASHBOARD).content.decode()
    assert count(html, "submitted") == 1 and count(html, "total") == 1
    make_submission(title="Two", state="accepted")
    make_submission(title="Three", state="rejected")
    make_submission(title="Four", state="submitted")
    with CaptureQueriesContext(connection) as many:
        html = client.get(DASHBOARD).content.decode()
    assert len(many) == len(few)
    assert count(html, "submitted") == 2 and count(html, "accepted") == 1 and count(html, "rejected") == 1
    assert count(html, "total") == 4


def test_other_organizers_member_gets_404(client_for, talk_event, other_organizer):
    assert client_for(other_organizer.member).get(DASHBOARD).status_code == 404
