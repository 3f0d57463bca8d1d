"""A talk accepted through the talk plugin's own services fires the ``talk_accepted`` rules.

The campaigns plugin hears of submissions only through the ``submission_state_changed``
notification; this test drives the real talk services (a speaker's account, a submitted
proposal, the organizers' decision) to check what the hook relies on. Skipped where the talk
plugin is not installed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope
from eventyay_campaigns.models import AutomationRun, Contact
from eventyay_campaigns.services import automation

from eventyay.base.models import User

# The talk plugin is a test dependency of this distribution: without it these tests fail.
pytestmark = [pytest.mark.django_db]


def test_accepting_a_real_submission_fires_talk_accepted(
    organizer: Any, make_event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from eventyay_talk.models import SubmissionType
    from eventyay_talk.services.submissions import submission_create, submission_state_change
    from i18nfield.strings import LazyI18nString

    event = make_event(slug="talks", plugins=["talk", "campaigns"])
    other = make_event(slug="elsewhere", plugins=["talk", "campaigns"])
    speaker = User.objects.create_user("Grace@example.org", "speaker horse battery", fullname="Grace Hopper")
    with scope(organizer=organizer):
        automation.rule_save(
            organizer=organizer,
            data={"name": "Speakers", "trigger": "talk_accepted", "event": event},
            actions=[{"kind": "add_tag", "tag": "speaker-2030"}],
        )
        submissions = {}
        for target in (event, other):
            talk = SubmissionType.objects.create(
                event=target, name=LazyI18nString({"en": "Talk"}), default_duration=30
            )
            with django_capture_on_commit_callbacks(execute=True):
                submissions[target.slug] = submission_create(
                    event=target,
                    speaker=speaker,
                    data={"title": "Compilers", "abstract": "x", "submission_type": talk},
                    send_mail=False,
                )
        # A rejection, and an acceptance on an event the rule is not about, fire nothing.
        with django_capture_on_commit_callbacks(execute=True):
            submission_state_change(
                submission=submissions["elsewhere"], new_state="accepted", send_mail=False
            )
        assert not AutomationRun.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            submission_state_change(submission=submissions["talks"], new_state="accepted", send_mail=False)
        (run,) = AutomationRun.objects.all()
        assert run.occurrence == f"submission:{submissions['talks'].code}"
        contact = Contact.objects.get(email_key="grace@example.org")
        assert run.contact_id == contact.pk
        with django_capture_on_commit_callbacks(execute=True):
            submission_state_change(submission=submissions["talks"], new_state="confirmed", send_mail=False)
        # Confirming is not a second acceptance; the step ran once.
        assert AutomationRun.objects.count() == 1
        assert {t.name for t in Contact.objects.get(pk=contact.pk).tags.all()} == {"speaker-2030"}
