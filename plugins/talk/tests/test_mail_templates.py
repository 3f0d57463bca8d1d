"""The mail templates page: per-language editing, placeholders, preview, and queued decisions' mails."""

from __future__ import annotations

import pytest
from django_scopes import scope
from eventyay_talk.models import MailTemplate
from eventyay_talk.services.mails import mail_template_update
from eventyay_talk.services.submissions import submission_decision_queue

from eventyay.base.models import OutgoingMail

from .test_control_access import BASE, member_with

pytestmark = pytest.mark.django_db

LIST = BASE + "mails/"
ACCEPTED = LIST + "submission.accepted/"


@pytest.fixture
def bilingual(talk_event):
    talk_event.locales = ["en", "de"]
    talk_event.save(update_fields=["locales"])
    return talk_event


def test_list_shows_every_mail_and_the_edit_page_the_placeholders(client_for, user, talk_event) -> None:
    client = client_for(user)
    listing = client.get(LIST).content.decode()
    for role in MailTemplate.Role.values:
        assert f"{LIST}{role}/" in listing
    page = client.get(ACCEPTED).content.decode()
    for name in ("{event}", "{event_url}", "{organizer}", "{speaker_name}", "{confirm_url}"):
        assert name in page
    assert "{invitation_url}" not in page
    assert "was accepted" in page  # the built-in text, ready to edit
    assert client.get(LIST + "no.such/").status_code == 404


def test_saving_per_language_is_used_by_the_next_mail(
    client_for, user, bilingual, make_submission, make_speaker
) -> None:
    response = client_for(user).post(
        ACCEPTED,
        {
            "action": "save",
            "subject_0": "Yes: {submission_title}",
            "subject_1": "Ja: {submission_title}",
            "text_0": "Dear {speaker_name}, see you at {event}.",
            "text_1": "Hallo {speaker_name}, bis bald bei {event}.",
        },
    )
    assert response.status_code == 302
    with scope(organizer=bilingual.organizer):
        template = MailTemplate.objects.get(event=bilingual, role="submission.accepted")
        assert template.subject.data == {"en": "Yes: {submission_title}", "de": "Ja: {submission_title}"}
        speaker = make_speaker("mailme@example.org", "Mia Mail")
        submission = make_submission(title="Mailed talk", speaker=speaker)
        from eventyay_talk.services.submissions import submission_state_change

        submission_state_change(submission=submission, new_state="accepted")
        mail = OutgoingMail.objects.latest("pk")
    assert mail.to == ["mailme@example.org"]
    assert mail.subject == "Yes: Mailed talk"
    assert mail.body_text.startswith("Dear Mia Mail, see you at")


def test_unknown_placeholders_are_form_errors_naming_them(client_for, user, bilingual) -> None:
    response = client_for(user).post(
        ACCEPTED,
        {
            "action": "save",
            "subject_0": "Hi {speker_name}",
            "subject_1": "Hallo",
            "text_0": "Text {event}",
            "text_1": "Text {unbekannt} {event}",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Unknown placeholders: {speker_name}" in html and "Unknown placeholders: {unbekannt}" in html
    broken = client_for(user).post(
        ACCEPTED, {"action": "save", "subject_0": "Hi {", "subject_1": "x", "text_0": "x", "text_1": "x"}
    )
    assert broken.status_code == 400 and "single braces" in broken.content.decode()
    with scope(organizer=bilingual.organizer):
        assert not MailTemplate.objects.filter(event=bilingual).exists()
        with pytest.raises(Exception, match="speker_name"):
            mail_template_update(
                event=bilingual, role="submission.accepted", subject="{speker_name}", text="x"
            )


def test_preview_renders_the_posted_text_with_a_sample_proposal(
    client_for, user, bilingual, make_submission, make_speaker
) -> None:
    with scope(organizer=bilingual.organizer):
        sample = make_submission(title="Sample talk", speaker=make_speaker("s@example.org", "Sam Sample"))
    response = client_for(user).post(
        ACCEPTED,
        {
            "action": "preview",
            "subject_0": "About {submission_title}",
            "subject_1": "Über {submission_title}",
            "text_0": "Hi {speaker_name} at {event}",
            "text_1": "Hallo {speaker_name}",
            "sample": sample.code,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "About Sample talk" in html and "Über Sample talk" in html and "Hi Sam Sample at" in html
    with scope(organizer=bilingual.organizer):
        assert not MailTemplate.objects.filter(event=bilingual).exists()


def test_queued_decisions_are_listed_and_sent_in_bulk(
    client_for, user, talk_event, make_submission, django_capture_on_commit_callbacks
) -> None:
    with scope(organizer=talk_event.organizer):
        accepted = [make_submission(title=f"Yes {n}") for n in range(2)]
        rejected = make_submission(title="No")
        for submission in accepted:
            submission_decision_queue(submission=submission, state="accepted")
        submission_decision_queue(submission=rejected, state="rejected")
        before = OutgoingMail.objects.count()
    client = client_for(user)
    listing = client.get(LIST).content.decode()
    assert "2 proposals to become" in listing and "2 mails" in listing and "1 mail " in listing
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(BASE + "submissions/decisions/").status_code == 302
    with scope(organizer=talk_event.organizer):
        assert OutgoingMail.objects.count() == before + 3
    assert "No decisions are queued" in client.get(LIST).content.decode()


def test_mail_pages_permissions(client, client_for, organizer, other_organizer, talk_event) -> None:
    for url in (LIST, ACCEPTED):
        assert client.get(url).status_code == 302
        assert client_for(other_organizer.member).get(url).status_code == 404
    assert client_for(other_organizer.member).post(ACCEPTED, {"action": "save"}).status_code == 404
    reader = member_with(organizer, "reader@example.org", ["event.submissions:read"])
    assert client_for(reader).get(ACCEPTED).status_code == 200
    assert (
        client_for(reader).post(ACCEPTED, {"action": "save", "subject_0": "x", "text_0": "y"}).status_code
        == 403
    )
    lacking = member_with(organizer, "lacking@example.org", ["event.settings:read"])
    assert client_for(lacking).get(LIST).status_code == 403
