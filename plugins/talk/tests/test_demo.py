"""The demo_data hook: open CfP, proposals in every state, reviews, a programme of about forty
confirmed talks and two released versions."""

from __future__ import annotations

from django.test import Client
from django_scopes import scope
from eventyay_talk.models import Review, Schedule, Submission, SubmissionStates
from eventyay_talk.selectors import cfp_is_open

from eventyay.base.models import OutgoingMail
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
        assert set(Schedule.objects.filter(event=talk_event).values_list("version", flat=True)) == {
            "1.0",
            "1.1",
            None,
        }
        assert 38 <= Submission.objects.filter(event=talk_event, state="confirmed").count() <= 42
        assert not OutgoingMail.objects.filter(event=talk_event).exists()
    assert "Ünïcödé" in Client().get(url(talk_event, "schedule")).content.decode()
