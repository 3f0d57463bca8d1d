"""The demo_data hook: open CfP, proposals in every state, reviews and a released schedule."""

from __future__ import annotations

from django.test import Client
from django_scopes import scope
from eventyay_talk.models import Review, Schedule, Submission, SubmissionStates
from eventyay_talk.selectors import cfp_is_open

from eventyay.base.plugins.manager import hooks_for

from .conftest import url


def test_demo_data_covers_every_state_and_is_idempotent(talk_event, organizer) -> None:
    with scope(organizer=organizer):
        hooks_for(talk_event).demo_data(event=talk_event)
        hooks_for(talk_event).demo_data(event=talk_event)
        states = set(Submission.objects.filter(event=talk_event).values_list("state", flat=True))
        assert states == set(SubmissionStates.values)
        assert cfp_is_open(talk_event)
        assert Review.objects.filter(submission__event=talk_event).count() >= 3
        assert Schedule.objects.filter(event=talk_event, version="1.0").exists()
        assert Submission.objects.filter(event=talk_event).count() == 10
    assert "Ünïcödé" in Client().get(url(talk_event, "schedule")).content.decode()
