"""The submission state machine: one service, exactly the allowed transitions, hooks around it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from eventyay_talk.models import SubmissionStates, TalkSlot
from eventyay_talk.services.submissions import (
    TRANSITIONS,
    submission_decision_queue,
    submission_decisions_apply,
    submission_state_change,
)

from eventyay.base.models import LogEntry, OutgoingMail, WebHook, WebHookDelivery
from eventyay.testing.plugin import register_temporarily

S = SubmissionStates
ALLOWED = sorted((old, new) for old, targets in TRANSITIONS.items() for new in targets)
REFUSED = sorted(
    (old, new) for old in S.values for new in S.values if new != old and new not in TRANSITIONS[old]
)


def test_transition_table_is_the_one_in_the_issue() -> None:
    assert {k: set(v) for k, v in TRANSITIONS.items()} == {
        "draft": {"submitted"},
        "submitted": {"accepted", "rejected", "withdrawn"},
        "rejected": {"accepted", "submitted"},
        "accepted": {"confirmed", "canceled", "rejected", "submitted", "withdrawn"},
        "confirmed": {"accepted", "canceled"},
        "canceled": {"accepted", "confirmed"},
        "withdrawn": {"submitted"},
    }


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_allowed_transition_changes_state_and_logs(make_submission, old: str, new: str) -> None:
    submission = make_submission(state=old)
    submission_state_change(submission=submission, new_state=new, send_mail=False)
    submission.refresh_from_db()
    assert submission.state == new
    entry = LogEntry.objects.filter(action_type="eventyay_talk.submission.state_changed").first()
    assert entry.data["before"] == {"state": old} and entry.data["after"] == {"state": new}


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_refused_transition_names_both_states(make_submission, old: str, new: str) -> None:
    submission = make_submission(state=old)
    with pytest.raises(ValidationError) as info:
        submission_state_change(submission=submission, new_state=new)
    assert "cannot go from" in str(info.value)
    submission.refresh_from_db()
    assert submission.state == old


def test_unknown_state_is_refused(make_submission) -> None:
    with pytest.raises(ValidationError, match="Unknown state"):
        submission_state_change(submission=make_submission(), new_state="published")


def test_a_plugin_can_veto_a_state_change(make_submission) -> None:
    submission = make_submission()

    def veto(submission, old_state, new_state):
        return "No acceptances on Mondays." if new_state == "accepted" else None

    with (
        register_temporarily("talk", before_submission_state_change=veto),
        pytest.raises(ValidationError, match="No acceptances on Mondays"),
    ):
        submission_state_change(submission=submission, new_state="accepted")
    submission.refresh_from_db()
    assert submission.state == "submitted"


def test_state_changed_hook_runs_after_commit(make_submission, django_capture_on_commit_callbacks) -> None:
    submission = make_submission()
    seen = []
    with register_temporarily(
        "talk",
        submission_state_changed=lambda submission, old_state, new_state: seen.append((old_state, new_state)),
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            submission_state_change(submission=submission, new_state="rejected", send_mail=False)
        assert seen == []
        for callback in callbacks:
            callback()
    assert seen == [("submitted", "rejected")]


def test_acceptance_queues_the_mail_from_the_editable_template(make_submission, talk_event) -> None:
    from eventyay_talk.services.mails import mail_template_update

    mail_template_update(
        event=talk_event,
        role="submission.accepted",
        subject="Yes: {submission_title}",
        text="Hi {speaker_name}",
    )
    submission = make_submission(title="Great talk")
    submission_state_change(submission=submission, new_state="accepted")
    mail = OutgoingMail.objects.filter(event=talk_event).order_by("-pk").first()
    assert mail.subject == "Yes: Great talk"
    assert mail.body_text == "Hi Ada Speaker"
    assert mail.to == ["speaker@example.org"]


def test_rejection_mail_uses_the_default_template(make_submission, talk_event) -> None:
    submission_state_change(submission=make_submission(title="Meh"), new_state="rejected")
    mail = OutgoingMail.objects.filter(event=talk_event).order_by("-pk").first()
    assert "Meh" in mail.subject and "could not include" in mail.body_text


def test_state_change_emits_a_webhook(make_submission, talk_event, organizer) -> None:
    WebHook.objects.create(
        organizer=organizer,
        target_url="https://hooks.example.org/x",
        action_types=["submission.state_changed"],
    )
    submission = make_submission()
    submission_state_change(submission=submission, new_state="accepted", send_mail=False)
    delivery = WebHookDelivery.objects.filter(payload__data__new_state="accepted").get()
    assert delivery.payload["data"] == {
        "code": submission.code,
        "old_state": "submitted",
        "new_state": "accepted",
    }


def test_accepted_talks_get_an_unscheduled_wip_slot_and_lose_it_when_rejected(make_submission) -> None:
    submission = make_submission(state="accepted")
    assert (
        TalkSlot.objects.filter(submission=submission, schedule__version__isnull=True, room=None).count() == 1
    )
    submission_state_change(submission=submission, new_state="rejected", send_mail=False)
    assert not TalkSlot.objects.filter(submission=submission).exists()


def test_submitting_a_draft_applies_the_required_fields(make_submission, talk_event) -> None:
    from eventyay_talk.services.cfp import cfp_update

    cfp_update(event=talk_event, data={"fields": {"description": {"visibility": "required"}}})
    draft = make_submission(state="draft")
    with pytest.raises(ValidationError) as info:
        submission_state_change(submission=draft, new_state="submitted")
    assert "description" in info.value.message_dict


def test_queued_decisions_are_applied_in_bulk(make_submission, talk_event) -> None:
    first, second, third = make_submission(title="1"), make_submission(title="2"), make_submission(title="3")
    submission_decision_queue(submission=first, state="accepted")
    submission_decision_queue(submission=second, state="rejected")
    submission_decision_queue(submission=third, state="accepted")

    def veto(submission, old_state, new_state):
        return "Speaker is banned." if submission.code == third.code else None

    with register_temporarily("talk", before_submission_state_change=veto):
        applied, errors = submission_decisions_apply(event=talk_event)
    assert sorted(s.code for s in applied) == sorted([first.code, second.code])
    assert errors == {third.code: ["Speaker is banned."]}
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.state, first.pending_state, second.state) == ("accepted", "", "rejected")


def test_queueing_an_impossible_decision_is_refused(make_submission) -> None:
    with pytest.raises(ValidationError):
        submission_decision_queue(submission=make_submission(state="draft"), state="accepted")
