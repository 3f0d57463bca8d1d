"""Files of the CfP: answer files and draft uploads are private with unguessable names, served
only to the speaker, the organizer's team and the proposal's reviewers; images and pictures
stay public but lose their original names; a file answer may only name an upload of its draft."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope, scopes_disabled
from i18nfield.strings import LazyI18nString

from eventyay.base.storage import private_storage

from .conftest import url
from .test_control_access import member_with

pytestmark = pytest.mark.django_db

CONTROL = "/control/event/example/conf/talk/"
PDF = b"%PDF-1.4 slides"
PNG = b"\x89PNG picture"


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def file_question(talk_event: Any, in_scope: None) -> Any:
    from eventyay_talk.models import Question

    return Question.objects.create(
        event=talk_event,
        question=LazyI18nString({"en": "Your slides"}),
        variant=Question.Variant.FILE,
        required=True,
    )


@pytest.fixture
def speaker_question(talk_event: Any, in_scope: None) -> Any:
    from eventyay_talk.models import Question

    return Question.objects.create(
        event=talk_event,
        question=LazyI18nString({"en": "Your CV"}),
        variant=Question.Variant.FILE,
        target=Question.Target.SPEAKER,
    )


@pytest.fixture
def proposal(
    client_for: Any,
    talk_event: Any,
    talk_type: Any,
    file_question: Any,
    speaker_question: Any,
    make_speaker: Any,
    django_capture_on_commit_callbacks: Any,
) -> Any:
    """A proposal submitted through the CfP form with an image, slides, a picture and a CV."""
    from eventyay_talk.models import Submission

    speaker = make_speaker()
    client = client_for(speaker)
    response = client.post(
        url(talk_event, "submit.step", step="info"),
        {
            "title": "Private files",
            "abstract": "Who sees what",
            "submission_type": talk_type.pk,
            "content_locale": "en",
            "image": SimpleUploadedFile("holiday photo.png", PNG, content_type="image/png"),
        },
    )
    assert response["Location"] == url(talk_event, "submit.step", step="questions")
    response = client.post(
        url(talk_event, "submit.step", step="questions"),
        {f"question_{file_question.pk}": SimpleUploadedFile("my slides.pdf", PDF)},
    )
    assert response["Location"] == url(talk_event, "submit.step", step="profile")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(talk_event, "submit.step", step="profile"),
            {
                "name": "Ada",
                "biography": "Files.",
                "avatar": SimpleUploadedFile("ada lovelace.png", PNG),
                f"speaker-question_{speaker_question.pk}": SimpleUploadedFile("ada cv.pdf", b"%PDF cv"),
            },
        )
    submission = Submission.objects.get(event=talk_event)
    assert response["Location"] == url(talk_event, "speaker.submission", code=submission.code)
    submission.speaker = speaker
    submission.client = client
    return submission


def _answer(submission: Any, question: Any) -> Any:
    from eventyay_talk.models import Answer

    with scopes_disabled():
        if question.target == "speaker":
            return Answer.objects.get(question=question, person=submission.speaker)
        return Answer.objects.get(question=question, submission=submission)


def test_cfp_files_get_unguessable_names_and_answer_files_no_media_url(
    client, talk_event, proposal, file_question, speaker_question
):
    from eventyay_talk.models import SpeakerProfile

    for question, original in ((file_question, "my slides"), (speaker_question, "ada cv")):
        answer = _answer(proposal, question)
        name = answer.answer_file.name
        assert original not in name and name.endswith(".pdf")
        assert answer.answer == f"{original}.pdf"
        assert private_storage.exists(name) and not default_storage.exists(name)
        assert client.get(f"/media/{name}").status_code == 404
    image = proposal.image.name
    assert image.startswith("talk/images/") and "holiday" not in image
    assert default_storage.exists(image)
    assert _content(client.get(f"/media/{image}")) == PNG
    with scopes_disabled():
        avatar = SpeakerProfile.objects.get(event=talk_event).avatar.name
    assert avatar.startswith("talk/avatars/") and "ada" not in avatar
    # The draft's uploads were kept privately; the image only until its public copy existed.
    slides = _answer(proposal, file_question).answer_file.name
    folder, _sep, leaf = slides.rpartition("/")
    assert folder.startswith(f"talk/uploads/{talk_event.pk}/")
    assert private_storage.listdir(folder) == ([], [leaf])


def test_the_speaker_downloads_own_files_only(
    client, client_for, talk_event, proposal, file_question, speaker_question, make_speaker
):
    slides = _answer(proposal, file_question)
    download = url(talk_event, "speaker.answer_file", pk=slides.pk)
    response = proposal.client.get(download)
    assert response.status_code == 200 and _content(response) == PDF
    assert 'filename="my slides.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    cv = _answer(proposal, speaker_question)
    assert proposal.client.get(url(talk_event, "speaker.answer_file", pk=cv.pk)).status_code == 200
    page = proposal.client.get(url(talk_event, "speaker.submission", code=proposal.code)).content.decode()
    assert download in page and "my slides.pdf" in page
    stranger = client_for(make_speaker("stranger@example.org"))
    assert stranger.get(download).status_code == 404
    assert client.get(download).status_code == 302


def test_organizers_and_the_proposals_reviewers_download_answer_files(
    client_for, user, organizer, other_organizer, talk_event, proposal, file_question, speaker_question
):
    from eventyay_talk.services.reviews import reviewer_team_set

    from eventyay.base.services.teams import team_save

    slides = f"{CONTROL}files/{_answer(proposal, file_question).pk}/"
    cv = f"{CONTROL}files/{_answer(proposal, speaker_question).pk}/"
    for path, content in ((slides, PDF), (cv, b"%PDF cv")):
        response = client_for(user).get(path)
        assert response.status_code == 200 and _content(response) == content
        assert client_for(other_organizer.member).get(path).status_code == 404
    detail = client_for(user).get(f"{CONTROL}submissions/{proposal.code}/").content.decode()
    assert slides in detail and cv in detail
    reader = member_with(organizer, "reader@example.org", ["event.submissions:read"])
    assert client_for(reader).get(slides).status_code == 200
    lacking = member_with(organizer, "lacking@example.org", ["event.settings:read"])
    assert client_for(lacking).get(slides).status_code == 403

    reviewer = member_with(organizer, "reviewer@example.org", [])
    with scope(organizer=organizer):
        team = team_save(organizer=organizer, name="Reviewers", permissions=[], all_events=True)
        team.members.add(reviewer)
        reviewer_team_set(team=team, is_reviewer=True)
    review_page = client_for(reviewer).get(f"{CONTROL}review/{proposal.code}/").content.decode()
    assert slides in review_page
    assert _content(client_for(reviewer).get(slides)) == PDF
    # What a speaker said about themselves is not part of the proposal a reviewer sees.
    assert client_for(reviewer).get(cv).status_code == 403


def test_a_file_answer_may_only_name_an_upload_of_the_same_draft(
    talk_event, proposal, file_question, make_submission
):
    from eventyay_talk.services.cfp import answers_save, draft_upload_save

    other_draft = draft_upload_save(
        event=talk_event, draft_id="draft-b", upload=SimpleUploadedFile("other.pdf", b"%PDF other")
    )
    own = draft_upload_save(event=talk_event, draft_id="draft-a", upload=SimpleUploadedFile("own.pdf", PDF))
    stored = _answer(proposal, file_question).answer_file.name
    folder = own["name"].rsplit("/", 1)[0]
    with scope(organizer=talk_event.organizer):
        target = make_submission(title="Second", state="draft", speaker=proposal.speaker)
        for value in (
            other_draft,
            {"name": stored, "filename": "slides.pdf"},
            {"name": f"{folder}/../../../answers/x.pdf", "filename": "x.pdf"},
            {"name": f"{folder}/", "filename": "x.pdf"},
            stored,
            own["name"],
        ):
            with pytest.raises(ValidationError) as raised:
                answers_save(
                    event=talk_event,
                    target="submission",
                    values={file_question.pk: value},
                    submission=target,
                    draft_id="draft-a",
                )
            assert raised.value.message_dict == {f"question_{file_question.pk}": ["Upload the file again."]}
        [answer] = answers_save(
            event=talk_event,
            target="submission",
            values={file_question.pk: own},
            submission=target,
            draft_id="draft-a",
        )
    assert answer.answer_file.name == own["name"] and answer.answer == "own.pdf"


def test_a_proposal_image_must_be_a_file_not_a_stored_name(talk_event, talk_type, make_speaker, in_scope):
    from eventyay_talk.services.submissions import submission_create

    with pytest.raises(ValidationError) as raised:
        submission_create(
            event=talk_event,
            speaker=make_speaker(),
            data={"title": "T", "abstract": "A", "submission_type": talk_type, "image": "talk/answers/x.pdf"},
        )
    assert raised.value.message_dict == {"image": ["Upload the file again."]}


def test_editing_a_proposal_keeps_its_file_unless_a_new_one_is_uploaded(talk_event, proposal, file_question):
    before = _answer(proposal, file_question).answer_file.name
    page = url(talk_event, "speaker.submission", code=proposal.code)
    form = {"title": "Renamed", "abstract": "Still", "submission_type": proposal.submission_type_id}
    response = proposal.client.post(page, {**form, "content_locale": "en"})
    assert response.status_code == 302
    answer = _answer(proposal, file_question)
    assert answer.answer_file.name == before and answer.answer == "my slides.pdf"
    proposal.client.post(
        page,
        {
            **form,
            "content_locale": "en",
            f"question_{file_question.pk}": SimpleUploadedFile("v2.pdf", b"%PDF 2"),
        },
    )
    answer = _answer(proposal, file_question)
    assert answer.answer == "v2.pdf" and answer.answer_file.name.startswith("talk/answers/")
    assert private_storage.open(answer.answer_file.name).read() == b"%PDF 2"


@pytest.fixture
def own_storages(settings: Any, tmp_path: Any) -> tuple[Any, Any]:
    """Public and private storages of this test alone, as the migration moves whole folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "eventyay.base.storage.PrivateStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }
    return storages["default"], storages["private"]


def test_the_migration_moves_existing_files_forward_and_back(
    talk_event, make_submission, file_question, own_storages, django_capture_on_commit_callbacks
):
    from eventyay_talk.models import Answer, SpeakerProfile, Submission

    migration = importlib.import_module("eventyay_talk.migrations.0002_private_files")
    public, private = own_storages
    old_answer = public.save("talk/uploads/cv of ada.pdf", ContentFile(b"%PDF old"))
    old_image = public.save("talk/uploads/beach.png", ContentFile(PNG))
    old_avatar = public.save("talk/avatars/ada.png", ContentFile(b"avatar"))
    abandoned = public.save("talk/uploads/left behind.pdf", ContentFile(b"%PDF left"))
    with scope(organizer=talk_event.organizer):
        submission = make_submission()
        Submission.objects.filter(pk=submission.pk).update(image=old_image)
        SpeakerProfile.objects.filter(event=talk_event).update(avatar=old_avatar)
        answer = Answer.objects.create(
            question=file_question, submission=submission, answer="cv of ada.pdf", answer_file=old_answer
        )
    with django_capture_on_commit_callbacks(execute=True):
        migration.files_to_private(apps, None)
    with scopes_disabled():
        answer.refresh_from_db()
        submission.refresh_from_db()
        avatar = SpeakerProfile.objects.get(event=talk_event).avatar.name
    assert answer.answer_file.name.startswith("talk/answers/") and "ada" not in answer.answer_file.name
    assert private.open(answer.answer_file.name).read() == b"%PDF old"
    assert submission.image.name.startswith("talk/images/") and "beach" not in submission.image.name
    assert public.open(submission.image.name).read() == PNG
    assert avatar.startswith("talk/avatars/") and avatar != old_avatar
    assert public.open(avatar).read() == b"avatar"
    assert private.open(abandoned).read() == b"%PDF left"
    for old in (old_answer, old_image, old_avatar, abandoned):
        assert not public.exists(old)
    assert not private.exists(old_image)

    with django_capture_on_commit_callbacks(execute=True):
        migration.files_to_public(apps, None)
    with scopes_disabled():
        answer.refresh_from_db()
    assert public.open(answer.answer_file.name).read() == b"%PDF old"
    assert public.open(abandoned).read() == b"%PDF left"
    for name in (answer.answer_file.name, abandoned):
        assert not private.exists(name)
