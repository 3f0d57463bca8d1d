"""The public CfP: the multi-step form without JavaScript, drafts, access codes and the speaker area."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from eventyay_talk.models import AccessCode, Answer, Question, SpeakerProfile, Submission
from eventyay_talk.services.cfp import cfp_update
from i18nfield.strings import LazyI18nString

from eventyay.base.models import OutgoingMail, User

from .conftest import url


@pytest.fixture
def question(talk_event, in_scope):
    return Question.objects.create(
        event=talk_event, question=LazyI18nString({"en": "Target audience?"}), required=True
    )


def test_anonymous_visitor_submits_through_every_step(talk_event, talk_type, question) -> None:
    client = Client()
    page = client.get(url(talk_event, "cfp"))
    assert page.status_code == 200 and b"Submit a proposal" in page.content
    assert client.get(url(talk_event, "submit"))["Location"] == url(talk_event, "submit.step", step="info")

    response = client.post(
        url(talk_event, "submit.step", step="info"),
        {
            "title": "Fahrpläne für alle",
            "abstract": "Short",
            "submission_type": talk_type.pk,
            "content_locale": "en",
        },
    )
    assert response["Location"] == url(talk_event, "submit.step", step="questions")
    form = client.get(url(talk_event, "submit.step", step="questions"))
    assert b"Target audience?" in form.content
    missing = client.post(url(talk_event, "submit.step", step="questions"), {})
    assert missing.status_code == 200 and b"This field is required" in missing.content
    response = client.post(
        url(talk_event, "submit.step", step="questions"), {f"question_{question.pk}": "Everyone"}
    )
    assert response["Location"] == url(talk_event, "submit.step", step="account")

    response = client.post(
        url(talk_event, "submit.step", step="account"),
        {
            "action": "signup",
            "signup_name": "Grace Hopper",
            "signup_email": "grace@example.org",
            "signup_password": "a long enough passphrase",
            "signup_password_repeat": "a long enough passphrase",
        },
    )
    assert response["Location"] == url(talk_event, "submit.step", step="profile")
    no_bio = client.post(url(talk_event, "submit.step", step="profile"), {"name": "Grace"})
    assert no_bio.status_code == 200
    response = client.post(
        url(talk_event, "submit.step", step="profile"), {"name": "Grace H.", "biography": "Compilers."}
    )
    submission = Submission.objects.get(event=talk_event)
    assert response["Location"] == url(talk_event, "speaker.submission", code=submission.code)
    assert submission.state == "submitted"
    assert submission.title == "Fahrpläne für alle"
    assert list(submission.speakers.values_list("email", flat=True)) == ["grace@example.org"]
    assert Answer.objects.get(submission=submission).answer == "Everyone"
    assert SpeakerProfile.objects.get(event=talk_event).biography == "Compilers."
    listing = client.get(url(talk_event, "speaker.submissions"))
    assert b"Fahrpl" in listing.content


def test_existing_user_logs_in_at_the_account_step(talk_event, talk_type, make_speaker) -> None:
    make_speaker("known@example.org")
    client = Client()
    client.post(
        url(talk_event, "submit.step", step="info"),
        {"title": "T", "abstract": "A", "submission_type": talk_type.pk},
    )
    wrong = client.post(
        url(talk_event, "submit.step", step="account"),
        {"action": "login", "login_email": "known@example.org", "login_password": "nope"},
    )
    assert b"the password is wrong" in wrong.content
    response = client.post(
        url(talk_event, "submit.step", step="account"),
        {"action": "login", "login_email": "known@example.org", "login_password": "speaker horse battery"},
    )
    assert response["Location"] == url(talk_event, "submit.step", step="profile")


def test_logged_in_speaker_saves_a_draft_and_submits_it_later(talk_event, talk_type, make_speaker) -> None:
    speaker = make_speaker()
    client = Client()
    client.force_login(speaker)
    response = client.post(
        url(talk_event, "submit.step", step="info"),
        {"title": "Draft idea", "abstract": "Later", "submission_type": talk_type.pk, "action": "draft"},
    )
    draft = Submission.objects.get(event=talk_event)
    assert draft.state == "draft"
    assert response["Location"] == url(talk_event, "speaker.submission", code=draft.code)
    client.post(url(talk_event, "speaker.submission.state", code=draft.code), {"state": "submitted"})
    draft.refresh_from_db()
    assert draft.state == "submitted"


def test_speaker_edits_withdraws_but_cannot_accept(talk_event, make_submission, make_speaker) -> None:
    speaker = make_speaker()
    submission = make_submission(title="Old", speaker=speaker)
    client = Client()
    client.force_login(speaker)
    edit = client.post(
        url(talk_event, "speaker.submission", code=submission.code),
        {"title": "New title", "abstract": "Still short", "submission_type": submission.submission_type_id},
    )
    assert edit.status_code == 302
    submission.refresh_from_db()
    assert submission.title == "New title"
    client.post(url(talk_event, "speaker.submission.state", code=submission.code), {"state": "accepted"})
    submission.refresh_from_db()
    assert submission.state == "submitted"
    client.post(url(talk_event, "speaker.submission.state", code=submission.code), {"state": "withdrawn"})
    submission.refresh_from_db()
    assert submission.state == "withdrawn"


def test_speaker_confirms_an_accepted_talk(talk_event, make_submission, make_speaker) -> None:
    speaker = make_speaker()
    submission = make_submission(state="accepted", speaker=speaker)
    client = Client()
    client.force_login(speaker)
    page = client.get(url(talk_event, "speaker.submission", code=submission.code))
    assert b"Confirm that I will give this talk" in page.content
    client.post(url(talk_event, "speaker.submission.state", code=submission.code), {"state": "confirmed"})
    submission.refresh_from_db()
    assert submission.state == "confirmed"


def test_other_people_cannot_open_a_speakers_proposal(talk_event, make_submission, make_speaker) -> None:
    submission = make_submission()
    client = Client()
    client.force_login(make_speaker("nosy@example.org"))
    assert client.get(url(talk_event, "speaker.submission", code=submission.code)).status_code == 404


def test_co_speaker_invitation_by_mail(talk_event, make_submission, make_speaker) -> None:
    speaker = make_speaker()
    submission = make_submission(speaker=speaker)
    client = Client()
    client.force_login(speaker)
    client.post(
        url(talk_event, "speaker.submission.invite", code=submission.code), {"email": "co@example.org"}
    )
    mail = OutgoingMail.objects.filter(to=["co@example.org"]).get()
    link = re.search(r"https?://\S+/invitation/\S+/", mail.body_text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    co_speaker = make_speaker("co@example.org", "Co Speaker")
    other = Client()
    assert b"Log in to accept" in other.get("/" + path).content
    other.force_login(co_speaker)
    other.post("/" + path)
    assert set(submission.speakers.values_list("email", flat=True)) == {
        "speaker@example.org",
        "co@example.org",
    }


def test_closed_cfp_opens_with_an_access_code(talk_event, talk_type, in_scope) -> None:
    cfp_update(event=talk_event, data={"deadline": timezone.now() - dt.timedelta(days=1)})
    code = AccessCode.objects.create(event=talk_event, code="LATE-1", maximum_uses=1)
    client = Client()
    closed = client.get(url(talk_event, "submit.step", step="info"))
    assert b"call for papers is closed" in closed.content
    client.get(url(talk_event, "submit") + "?access_code=LATE-1")
    page = client.get(url(talk_event, "submit.step", step="info"))
    assert b'name="title"' in page.content
    user = User.objects.create_user("late@example.org", "speaker horse battery")
    client.force_login(user)
    client.post(
        url(talk_event, "submit.step", step="info"),
        {"title": "Late", "abstract": "x", "submission_type": talk_type.pk},
    )
    client.post(url(talk_event, "submit.step", step="profile"), {"name": "Late", "biography": "Bio"})
    code.refresh_from_db()
    assert code.redeemed == 1
    assert Submission.objects.get(event=talk_event).access_code == code
    assert not code.is_valid()


def test_submission_type_deadline_extends_the_cfp(talk_event, talk_type, in_scope) -> None:
    from eventyay_talk.selectors import cfp_is_open

    cfp_update(event=talk_event, data={"deadline": timezone.now() - dt.timedelta(days=1)})
    assert not cfp_is_open(talk_event, submission_type=talk_type)
    talk_type.deadline = timezone.now() + dt.timedelta(days=1)
    talk_type.save()
    assert cfp_is_open(talk_event, submission_type=talk_type)


def test_length_limits_and_not_asked_fields_follow_the_cfp(talk_event, talk_type, in_scope) -> None:
    cfp_update(
        event=talk_event,
        data={"fields": {"abstract": {"max_length": 10}, "notes": {"visibility": "do_not_ask"}}},
    )
    client = Client()
    page = client.get(url(talk_event, "submit.step", step="info"))
    assert b'name="notes"' not in page.content
    response = client.post(
        url(talk_event, "submit.step", step="info"),
        {"title": "T", "abstract": "far too long for ten", "submission_type": talk_type.pk},
    )
    assert response.status_code == 200 and b"at most 10 characters" in response.content


def test_cfp_pages_of_an_event_without_the_plugin_are_404(make_event) -> None:
    plain = make_event(slug="plain")
    assert Client().get(url(plain, "cfp")).status_code == 404
