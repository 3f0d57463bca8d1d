"""The "proposal received" mail: queued on the first submission to every speaker, editable."""

from __future__ import annotations

import pytest
from django.test import Client
from django_scopes import scope
from eventyay_talk.services.submissions import submission_create, submission_state_change

from eventyay.base.models import OutgoingMail

from .conftest import url
from .test_control_access import BASE

pytestmark = pytest.mark.django_db

RECEIVED = BASE + "mails/submission.received/"


def _received(event, email: str) -> list[OutgoingMail]:
    with scope(organizer=event.organizer):
        return list(OutgoingMail.objects.filter(event=event, to=[email], subject__startswith="We received"))


def test_submitting_through_the_cfp_sends_the_mail(talk_event, talk_type) -> None:
    client = Client()
    client.post(
        url(talk_event, "submit.step", step="info"),
        {"title": "Timetables & more", "abstract": "Short", "submission_type": talk_type.pk},
    )
    client.post(
        url(talk_event, "submit.step", step="account"),
        {
            "action": "signup",
            "signup_name": "Grace Hopper",
            "signup_email": "grace@example.org",
            "signup_password": "a long enough passphrase",
            "signup_password_repeat": "a long enough passphrase",
        },
    )
    client.post(
        url(talk_event, "submit.step", step="profile"), {"name": "Grace H.", "biography": "Compilers."}
    )
    (mail,) = _received(talk_event, "grace@example.org")
    assert mail.subject == "We received your proposal “Timetables & more”"
    assert mail.body_text.startswith("Hello Grace Hopper,")
    assert "“Timetables & more” for Conference conf" in mail.body_text
    with scope(organizer=talk_event.organizer):
        code = talk_event.talk_submissions.get().code
    assert url(talk_event, "speaker.submission", code=code) in mail.body_text


def test_draft_goes_to_every_speaker_once(talk_event, talk_type, make_speaker, in_scope) -> None:
    first, second = make_speaker("one@example.org", "One"), make_speaker("two@example.org", "Two")
    draft = submission_create(
        event=talk_event,
        speaker=first,
        data={"title": "Drafted", "abstract": "x", "submission_type": talk_type},
        submit=False,
    )
    assert not _received(talk_event, "one@example.org")
    draft.speakers.add(second)
    submission_state_change(submission=draft, new_state="submitted")
    assert len(_received(talk_event, "one@example.org")) == 1
    assert len(_received(talk_event, "two@example.org")) == 1
    # Put back to "submitted" after a rejection: no second "received" mail.
    submission_state_change(submission=draft, new_state="rejected", send_mail=False)
    submission_state_change(submission=draft, new_state="submitted")
    assert len(_received(talk_event, "one@example.org")) == 1


def test_no_mail_when_asked_not_to(talk_event, talk_type, make_speaker, in_scope) -> None:
    submission_create(
        event=talk_event,
        speaker=make_speaker("quiet@example.org"),
        data={"title": "Quiet", "abstract": "x", "submission_type": talk_type},
        send_mail=False,
    )
    assert not OutgoingMail.objects.filter(to=["quiet@example.org"]).exists()


def test_the_template_is_editable_like_the_others(
    client_for, user, talk_event, talk_type, make_speaker
) -> None:
    client = client_for(user)
    assert "{submission_url}" in client.get(RECEIVED).content.decode()
    assert RECEIVED in client.get(BASE + "mails/").content.decode()
    response = client.post(
        RECEIVED,
        {"action": "save", "subject_0": "Got it: {submission_title}", "text_0": "Thanks {speaker_name}!"},
    )
    assert response.status_code == 302
    with scope(organizer=talk_event.organizer):
        submission_create(
            event=talk_event,
            speaker=make_speaker("edited@example.org", "Eddie"),
            data={"title": "Edited", "abstract": "x", "submission_type": talk_type},
        )
        mail = OutgoingMail.objects.get(to=["edited@example.org"])
    assert (mail.subject, mail.body_text.strip()[:13]) == ("Got it: Edited", "Thanks Eddie!")
