"""Control panel of the exhibition and poster hall: CRUD, staff, leads export, poster PDFs."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from eventyay_video import exhibition, services
from eventyay_video.exhibition_exporters import LeadsExporter
from eventyay_video.models import ContactRequest, Exhibitor, Moderator, Poster
from eventyay_video.tokens import VideoUser

from eventyay.base.exporters import Progress, event_exporters
from eventyay.base.models import User
from eventyay.base.services.teams import team_member_add, team_save

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def control(event, name: str, **kwargs) -> str:
    return reverse(
        f"plugins:video:control.{name}",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs},
    )


@pytest.fixture
def admin(client_for, user):
    return client_for(user)


@pytest.fixture
def booth(video_event):
    with scope(organizer=video_event.organizer):
        exhibitor = exhibition.exhibitor_save(event=video_event, data={"name": "ACME Robotics"})
        exhibition.exhibitor_staff_add(exhibitor=exhibitor, uid="ticket:staff", name="Sam")
    return exhibitor


@pytest.fixture
def poster(video_event):
    with scope(organizer=video_event.organizer):
        return exhibition.poster_save(
            event=video_event,
            data={"title": "Graphene at scale", "pdf": SimpleUploadedFile("graphene.pdf", PDF)},
        )


def answered_request(exhibitor, uid: str, name: str, *, accept: bool) -> ContactRequest:
    with scope(organizer=exhibitor.event.organizer):
        user = VideoUser(uid=uid, name=name)
        request = exhibition.contact_request_create(exhibitor=exhibitor, user=user, message=f"Hi from {name}")
        staff = VideoUser(uid="ticket:staff", name="Sam")
        return exhibition.contact_request_answer(
            event=exhibitor.event, request_id=request.pk, accept=accept, user=staff, may_answer=lambda e: True
        )


def test_pages_render_for_the_team(admin, video_event, booth, poster):
    for url in (
        control(video_event, "exhibitors"),
        control(video_event, "exhibitor", exhibitor=booth.pk),
        control(video_event, "posters"),
        control(video_event, "poster", poster=poster.pk),
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert b"<script>" not in response.content


def test_creating_an_exhibitor_creates_a_booth_room_with_chat(admin, video_event):
    response = admin.post(
        control(video_event, "exhibitors"),
        {
            "exhibitor-name": "Globex",
            "exhibitor-short_text": "Everything, globally",
            "exhibitor-links": "Website | https://globex.example.org\nhttps://globex.example.org/jobs",
            "exhibitor-social": "Mastodon | https://social.example/@globex",
            "exhibitor-order": 0,
        },
    )
    assert response.status_code == 302
    with scope(organizer=video_event.organizer):
        exhibitor = Exhibitor.objects.get(event=video_event)
        assert exhibitor.room is not None and exhibitor.room.name == "Globex"
        assert list(exhibitor.room.modules.values_list("kind", flat=True)) == ["chat"]
        assert exhibitor.room.channel is not None
        assert exhibitor.links == [
            {"label": "Website", "url": "https://globex.example.org"},
            {"label": "https://globex.example.org/jobs", "url": "https://globex.example.org/jobs"},
        ]
        assert exhibitor.social == [{"label": "Mastodon", "url": "https://social.example/@globex"}]


def test_bad_exhibitor_input_gives_form_errors(admin, video_event, booth, make_room):
    url = control(video_event, "exhibitors")
    no_name = admin.post(url, {"exhibitor-name": "", "exhibitor-order": 0})
    assert no_name.status_code == 200 and "This field is required." in no_name.content.decode()
    bad_link = admin.post(
        url, {"exhibitor-name": "X", "exhibitor-links": "Home | javascript:alert(1)", "exhibitor-order": 0}
    )
    assert bad_link.status_code == 200 and "is not a valid web address" in bad_link.content.decode()
    taken = admin.post(url, {"exhibitor-name": "Y", "exhibitor-room": booth.room_id, "exhibitor-order": 0})
    assert taken.status_code == 200 and "already the booth of another exhibitor" in taken.content.decode()
    not_image = admin.post(
        url,
        {
            "exhibitor-name": "Z",
            "exhibitor-order": 0,
            "exhibitor-logo": SimpleUploadedFile("logo.png", b"not an image"),
        },
    )
    assert not_image.status_code == 200 and "Upload a valid image" in not_image.content.decode()
    with scope(organizer=video_event.organizer):
        assert Exhibitor.objects.filter(event=video_event).count() == 1


def test_editing_an_exhibitor_and_its_staff(admin, video_event, booth):
    url = control(video_event, "exhibitor", exhibitor=booth.pk)
    saved = admin.post(
        url,
        {
            "save": "1",
            "exhibitor-name": "ACME",
            "exhibitor-room": booth.room_id,
            "exhibitor-call_url": "https://meet.example.org/acme",
            "exhibitor-order": 3,
        },
    )
    assert saved.status_code == 302
    added = admin.post(url, {"add_staff": "1", "staff-uid": "ticket:kim", "staff-name": "Kim"})
    assert added.status_code == 302
    no_uid = admin.post(url, {"add_staff": "1", "staff-uid": ""})
    assert no_uid.status_code == 200 and "This field is required." in no_uid.content.decode()
    with scope(organizer=video_event.organizer):
        booth.refresh_from_db()
        assert (booth.name, booth.call_url, booth.order) == ("ACME", "https://meet.example.org/acme", 3)
        staff = Moderator.objects.filter(room=booth.room).order_by("uid")
        assert [m.uid for m in staff] == ["ticket:kim", "ticket:staff"]
        kim = staff[0].pk
    assert admin.post(url, {"remove_staff": kim}).status_code == 302
    with scope(organizer=video_event.organizer):
        assert list(Moderator.objects.filter(room=booth.room).values_list("uid", flat=True)) == [
            "ticket:staff"
        ]


def test_deleting_an_exhibitor_keeps_its_booth_room(admin, video_event, booth):
    assert admin.post(control(video_event, "exhibitor.delete", exhibitor=booth.pk)).status_code == 302
    with scope(organizer=video_event.organizer):
        assert not Exhibitor.objects.filter(pk=booth.pk).exists()
        assert booth.room.__class__.objects.filter(pk=booth.room_id).exists()


def test_leads_are_listed_and_exported_as_csv(admin, video_event, booth):
    answered_request(booth, "ticket:alice", "Alice", accept=True)
    answered_request(booth, "ticket:bob", "Bob", accept=False)
    page = admin.get(control(video_event, "exhibitor", exhibitor=booth.pk)).content.decode()
    assert "Alice" in page and "Bob" in page and "Accepted" in page and "Declined" in page
    for url in (control(video_event, "exhibitor.leads", exhibitor=booth.pk), control(video_event, "leads")):
        response = admin.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0] == ["Exhibitor", "User id", "Name", "Message", "Requested", "Accepted", "Accepted by"]
        assert [row[:4] for row in rows[1:]] == [["ACME Robotics", "ticket:alice", "Alice", "Hi from Alice"]]
        assert rows[1][6] == "Sam"


def test_leads_csv_neutralises_spreadsheet_formulas(admin, video_event, booth):
    answered_request(booth, "ticket:mallory", '=HYPERLINK("https://evil.example")', accept=True)
    response = admin.get(control(video_event, "exhibitor.leads", exhibitor=booth.pk))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][2].startswith("'=")


def test_leads_exporter_is_registered_and_writes_csv(video_event, booth):
    answered_request(booth, "ticket:alice", "Alice", accept=True)
    assert [e.plugin for e in event_exporters(video_event) if e.exporter is LeadsExporter] == ["video"]
    with scope(organizer=video_event.organizer):
        exporter = LeadsExporter(organizer=video_event.organizer, event=video_event)
        output = io.BytesIO()
        filename, content_type = exporter.render(
            exporter.clean_options({"_format": "csv"}), output, Progress()
        )
    assert filename.endswith(".csv") and "csv" in content_type
    text = output.getvalue().decode("utf-8-sig")
    assert "ticket:alice" in text and "Hi from Alice" in text


def test_posters_are_created_with_a_private_pdf(admin, video_event, make_room):
    hall = make_room("Poster hall")
    response = admin.post(
        control(video_event, "posters"),
        {
            "poster-title": "Bees and maths",
            "poster-authors": "Ada Lovelace\nKarl von Frisch",
            "poster-category": "Biology",
            "poster-room": hall.pk,
            "poster-order": 0,
            "poster-pdf": SimpleUploadedFile("bees.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    with scope(organizer=video_event.organizer):
        poster = Poster.objects.get(event=video_event)
        assert poster.authors == ["Ada Lovelace", "Karl von Frisch"] and poster.room == hall
        assert poster.channel.room is None and poster.pdf_name == "bees.pdf"
        assert not poster.pdf.name.startswith("video/posters/bees")
        assert poster.pdf.storage.__class__.__name__ == "PrivateStorage"
    download = admin.get(control(video_event, "poster.pdf", poster=poster.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_bad_poster_input_gives_form_errors(admin, video_event):
    url = control(video_event, "posters")
    no_title = admin.post(url, {"poster-title": "", "poster-order": 0})
    assert "This field is required." in no_title.content.decode()
    not_pdf = admin.post(
        url, {"poster-title": "T", "poster-order": 0, "poster-pdf": SimpleUploadedFile("x.pdf", b"<html>")}
    )
    assert not_pdf.status_code == 200 and "Upload a PDF file." in not_pdf.content.decode()
    no_talk = admin.post(url, {"poster-title": "T", "poster-order": 0, "poster-submission_code": "ABCD"})
    assert no_talk.status_code == 200 and "talk plugin is not active" in no_talk.content.decode()
    with scope(organizer=video_event.organizer):
        assert not Poster.objects.exists()


def test_poster_links_a_talk_proposal_when_talk_is_on(admin, make_event):
    from eventyay_talk.models import Submission, SubmissionType

    event = make_event(slug="talky", plugins=["video", "talk"])
    with scope(organizer=event.organizer):
        kind = SubmissionType.objects.create(event=event, name="Poster")
        submission = Submission.objects.create(event=event, title="Graphene at scale", submission_type=kind)
    url = control(event, "posters")
    unknown = admin.post(url, {"poster-title": "T", "poster-order": 0, "poster-submission_code": "NOPE"})
    assert "There is no proposal with this code." in unknown.content.decode()
    linked = admin.post(
        url, {"poster-title": "T", "poster-order": 0, "poster-submission_code": submission.code}
    )
    assert linked.status_code == 302
    with scope(organizer=event.organizer):
        poster = Poster.objects.get(event=event)
        assert exhibition.poster_dict(poster, full=True)["talk"] == {
            "code": submission.code,
            "title": "Graphene at scale",
        }


def test_poster_edit_and_delete(admin, video_event, poster):
    url = control(video_event, "poster", poster=poster.pk)
    assert (
        admin.post(
            url, {"poster-title": "Graphene, revisited", "poster-category": "Physics", "poster-order": 1}
        ).status_code
        == 302
    )
    with scope(organizer=video_event.organizer):
        poster.refresh_from_db()
        assert poster.title == "Graphene, revisited" and poster.pdf_name == "graphene.pdf"
        channel_id = poster.channel_id
    assert admin.post(control(video_event, "poster.delete", poster=poster.pk)).status_code == 302
    with scopes_disabled():
        assert not Poster.objects.filter(pk=poster.pk).exists()
        assert not services.ChatChannel.objects.filter(pk=channel_id).exists()


def test_attendee_pdf_link_is_signed(client, video_event, poster):
    with scope(organizer=video_event.organizer):
        url = exhibition.poster_dict(poster, full=True)["pdf_url"]
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert client.get(url.split("?")[0] + "?s=forged").status_code == 404
    assert client.get(url.split("?")[0]).status_code == 404


def test_other_organizer_gets_404(client_for, other_organizer, video_event, booth, poster):
    outsider = client_for(other_organizer.member)
    urls = [
        control(video_event, "exhibitors"),
        control(video_event, "exhibitor", exhibitor=booth.pk),
        control(video_event, "exhibitor.leads", exhibitor=booth.pk),
        control(video_event, "leads"),
        control(video_event, "posters"),
        control(video_event, "poster", poster=poster.pk),
        control(video_event, "poster.pdf", poster=poster.pk),
    ]
    for url in urls:
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(control(video_event, "exhibitor.delete", exhibitor=booth.pk)).status_code == 404
    assert outsider.post(control(video_event, "poster.delete", poster=poster.pk)).status_code == 404
    with scope(organizer=video_event.organizer):
        assert Exhibitor.objects.filter(pk=booth.pk).exists() and Poster.objects.filter(pk=poster.pk).exists()


def test_objects_of_another_event_are_404(admin, video_event, make_event):
    other = make_event(slug="other", plugins=["video"])
    with scope(organizer=other.organizer):
        foreign = exhibition.exhibitor_save(event=other, data={"name": "Elsewhere"})
        foreign_poster = exhibition.poster_save(event=other, data={"title": "Elsewhere"})
    assert admin.get(control(video_event, "exhibitor", exhibitor=foreign.pk)).status_code == 404
    assert admin.get(control(video_event, "poster", poster=foreign_poster.pk)).status_code == 404
    foreign_room = admin.post(
        control(video_event, "exhibitors"),
        {"exhibitor-name": "Sneaky", "exhibitor-room": foreign.room_id, "exhibitor-order": 0},
    )
    assert foreign_room.status_code == 200 and "Select a valid choice." in foreign_room.content.decode()


def test_readers_may_download_leads_but_not_edit(client_for, organizer, video_event, booth):
    helper = User.objects.create_user("helper@example.org", "another horse battery")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Readers", permissions=["event.video:read"], all_events=True
        )
        team_member_add(team=team, user=helper)
    reader = client_for(helper)
    assert reader.get(control(video_event, "leads")).status_code == 200
    assert reader.get(control(video_event, "exhibitors")).status_code == 403
    assert reader.get(control(video_event, "posters")).status_code == 403
