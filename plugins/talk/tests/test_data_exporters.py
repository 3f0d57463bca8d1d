"""The organizer data exports: proposals and reviews, speakers, the printable schedule.

Every file is read back with an independent reader (csv, openpyxl, pypdf).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from eventyay_talk.data_exporters import ProposalsExporter, SchedulePDFExporter, SpeakersExporter
from eventyay_talk.models import TalkSlot, Track
from eventyay_talk.services.reviews import review_save, score_category_save
from eventyay_talk.services.schedule import slot_schedule, wip_schedule
from eventyay_talk.services.submissions import speaker_profile_update, submission_state_change
from i18nfield.strings import LazyI18nString
from openpyxl import load_workbook
from pypdf import PdfReader

from eventyay.base.exporters import Progress
from eventyay.base.services.teams import team_member_add, team_save, token_create

from .conftest import TZ

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = '=HYPERLINK("http://x")'
HOSTILE_NAME = "+1+2"
API = "/api/v1/organizers/example/events/conf/exporters/"


def render(exporter: Any, **options: Any) -> tuple[str, str, bytes]:
    output = io.BytesIO()
    filename, content_type = exporter.render(exporter.clean_options(options), output, Progress())
    return filename, content_type, output.getvalue()


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def reviewer_named(organizer: Any, make_speaker: Any, email: str, name: str) -> Any:
    person = make_speaker(email, name)
    team = team_save(organizer=organizer, name=email, permissions=["event.reviews:write"], all_events=True)
    team_member_add(team=team, user=person)
    return person


@pytest.fixture
def proposals(organizer, talk_event, make_submission, make_speaker, in_scope) -> dict[str, Any]:
    """Two score categories, two tracks, four proposals in different states, three reviews."""
    content = score_category_save(event=talk_event, name="Inhalt", weight=2, values={1: "weak", 3: "strong"})
    style = score_category_save(event=talk_event, name="Style", values={0: "meh", 1: "nice"})
    web = Track.objects.create(event=talk_event, name=LazyI18nString({"en": "Web"}))
    kernel = Track.objects.create(event=talk_event, name=LazyI18nString({"en": "Kernel"}))
    zoe = make_speaker("zoe@example.org", "Zoë Ångström")
    dmitry = make_speaker("dmitry@example.org", "Дмитрий")
    plus = make_speaker("plus@example.org", HOSTILE_NAME)
    good = make_submission(title="Fahrpläne für alle", state="confirmed", speaker=zoe, track=web)
    good.speakers.add(dmitry)
    hostile = make_submission(title=HOSTILE_TITLE, state="submitted", speaker=plus, track=kernel)
    draft = make_submission(title="Unfinished draft", state="draft", speaker=zoe, track=web)
    rejected = make_submission(title="Rejected idea", state="rejected", speaker=dmitry, track=kernel)
    first = reviewer_named(organizer, make_speaker, "r1@example.org", "Ярослава Рецензент")
    second = reviewer_named(organizer, make_speaker, "r2@example.org", "Øystein Reviewer")
    strong, weak = content.scores.get(value=3), content.scores.get(value=1)
    nice, meh = style.scores.get(value=1), style.scores.get(value=0)
    review_save(submission=good, user=first, text="Très bien", scores=[strong, nice])
    review_save(submission=good, user=second, text="Okay", scores=[weak, meh])
    review_save(submission=hostile, user=first, text="@SUM(A1)", scores=[weak])
    return {
        "categories": (content, style),
        "tracks": (web, kernel),
        "good": good,
        "hostile": hostile,
        "draft": draft,
        "rejected": rejected,
        "reviewers": (first, second),
    }


def test_proposals_xlsx_holds_proposals_and_reviews_with_scores(talk_event, proposals) -> None:
    content, style = proposals["categories"]
    filename, _type, data = render(ProposalsExporter(organizer=talk_event.organizer, event=talk_event))
    assert filename == "example_conf_talk_proposals.xlsx"
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Proposals", "Reviews"]
    rows = list(workbook["Proposals"].iter_rows(values_only=True))
    assert rows[0] == (
        "Code",
        "Title",
        "Type",
        "Track",
        "State",
        "Speakers",
        "Language",
        "Duration (minutes)",
        "Average score",
        "Reviews",
        "Inhalt (average)",
        "Style (average)",
    )
    by_code = {row[0]: row for row in rows[1:]}
    # Drafts are left out unless asked for; the best average comes first.
    assert list(by_code) == [proposals["good"].code, proposals["hostile"].code, proposals["rejected"].code]
    good = by_code[proposals["good"].code]
    # Reviews weigh Inhalt twice: (2*3+1) and (2*1+0) average 4.5; Inhalt averages 2, Style 0.5.
    assert good[1:] == (
        "Fahrpläne für alle",
        "Talk",
        "Web",
        "confirmed",
        "Zoë Ångström\nДмитрий",
        "en",
        30,
        4.5,
        2,
        2,
        0.5,
    )
    hostile = by_code[proposals["hostile"].code]
    assert hostile[1] == "'" + HOSTILE_TITLE
    assert hostile[5] == "'" + HOSTILE_NAME
    assert hostile[8:] == (2, 1, 1, None)
    assert by_code[proposals["rejected"].code][8:] == (None, 0, None, None)
    for row in workbook["Proposals"].iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)

    reviews = list(workbook["Reviews"].iter_rows(values_only=True))
    assert reviews[0][:7] == ("Proposal", "Title", "Reviewer", "Reviewer email", "Score", "Inhalt", "Style")
    written = {(row[0], row[2]): row for row in reviews[1:]}
    assert len(written) == 3
    first = written[proposals["good"].code, "Ярослава Рецензент"]
    assert first[3:8] == ("r1@example.org", 7, 3, 1, "Très bien")
    assert isinstance(first[8], dt.datetime)
    assert written[proposals["good"].code, "Øystein Reviewer"][4:7] == (2, 1, 0)
    assert written[proposals["hostile"].code, "Ярослава Рецензент"][1] == "'" + HOSTILE_TITLE
    assert written[proposals["hostile"].code, "Ярослава Рецензент"][7] == "'@SUM(A1)"


def test_proposals_csv_filters_by_state_and_track_and_neutralises_formulas(talk_event, proposals) -> None:
    exporter = ProposalsExporter(organizer=talk_event.organizer, event=talk_event)
    _web, kernel = proposals["tracks"]
    filename, _type, data = render(
        exporter, _format="csv", state=["submitted", "draft"], track=[str(kernel.pk)]
    )
    assert filename == "example_conf_talk_proposals_proposals.csv"
    rows = csv_rows(data)
    assert [row[0] for row in rows[1:]] == [proposals["hostile"].code]
    assert rows[1][1] == "'" + HOSTILE_TITLE
    assert rows[1][5] == "'" + HOSTILE_NAME

    _name, _type, data = render(exporter, _format="csv", _sheet="reviews", state=["confirmed"])
    rows = csv_rows(data)
    assert sorted(row[2] for row in rows[1:]) == ["Øystein Reviewer", "Ярослава Рецензент"]
    assert {row[0] for row in rows[1:]} == {proposals["good"].code}

    _name, _type, data = render(exporter, _format="csv", state=["draft"])
    assert [row[1] for row in csv_rows(data)[1:]] == ["Unfinished draft"]


def test_a_blind_review_phase_hides_nothing_from_those_who_may_read_proposals(talk_event, proposals) -> None:
    from eventyay_talk.models import ReviewPhase
    from eventyay_talk.services.reviews import review_phase_activate

    review_phase_activate(
        phase=ReviewPhase.objects.create(event=talk_event, name="Blind", can_see_speaker_names=False)
    )
    exporter = ProposalsExporter(organizer=talk_event.organizer, event=talk_event)
    rows = csv_rows(render(exporter, _format="csv", state=["confirmed"])[2])
    assert rows[1][5] == "Zoë Ångström\nДмитрий"
    rows = csv_rows(render(exporter, _format="csv", _sheet="reviews", state=["confirmed"])[2])
    assert sorted(row[2] for row in rows[1:]) == ["Øystein Reviewer", "Ярослава Рецензент"]


def test_totals_for_the_progress_bar_count_what_the_sheets_hold(talk_event, proposals) -> None:
    exporter = ProposalsExporter(organizer=talk_event.organizer, event=talk_event)
    everything = exporter.clean_options({})
    assert (exporter.sheet_total("proposals", everything), exporter.sheet_total("reviews", everything)) == (
        3,
        3,
    )
    submitted = exporter.clean_options({"state": ["submitted"]})
    assert (exporter.sheet_total("proposals", submitted), exporter.sheet_total("reviews", submitted)) == (
        1,
        1,
    )
    speakers = SpeakersExporter(organizer=talk_event.organizer, event=talk_event)
    assert speakers.total(speakers.clean_options({})) == 3


def test_proposals_export_reads_in_a_fixed_number_of_queries(
    talk_event, proposals, make_submission, make_speaker, django_assert_max_num_queries
) -> None:
    exporter = ProposalsExporter(organizer=talk_event.organizer, event=talk_event)
    with CaptureQueriesContext(connection) as baseline:
        render(exporter)
    content, style = proposals["categories"]
    first, second = proposals["reviewers"]
    web, _kernel = proposals["tracks"]
    for number in range(12):
        speaker = make_speaker(f"more{number}@example.org", f"Speaker {number}")
        submission = make_submission(title=f"More {number}", speaker=speaker, track=web)
        submission.speakers.add(make_speaker(f"co{number}@example.org", f"Co {number}"))
        for reviewer in (first, second):
            review_save(
                submission=submission,
                user=reviewer,
                text="more",
                scores=[content.scores.get(value=3), style.scores.get(value=0)],
            )
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        _name, _type, data = render(ProposalsExporter(organizer=talk_event.organizer, event=talk_event))
    workbook = load_workbook(io.BytesIO(data))
    assert workbook["Proposals"].max_row == 1 + 3 + 12
    assert workbook["Reviews"].max_row == 1 + 3 + 24


def test_speakers_list_has_contacts_proposals_and_availability(talk_event, proposals) -> None:
    zoe = proposals["good"].speakers.get(email="zoe@example.org")
    speaker_profile_update(
        event=talk_event,
        user=zoe,
        data={
            "availabilities": [
                {"start": "2030-06-01T09:00:00+02:00", "end": "2030-06-01T12:00:00+02:00"},
                {"start": "2030-06-02T16:00:00+00:00", "end": "2030-06-03T08:00:00+00:00"},
            ]
        },
    )
    exporter = SpeakersExporter(organizer=talk_event.organizer, event=talk_event)
    filename, _type, data = render(exporter, _format="csv")
    assert filename == "example_conf_talk_speakers.csv"
    rows = csv_rows(data)
    assert rows[0] == [
        "Speaker code",
        "Name",
        "Email",
        "Proposals",
        "Confirmed talks",
        "Available (empty: any time)",
    ]
    by_email = {row[2]: row for row in rows[1:]}
    assert set(by_email) == {"zoe@example.org", "dmitry@example.org", "plus@example.org"}
    good, rejected = proposals["good"], proposals["rejected"]
    zoe_row = by_email["zoe@example.org"]
    assert zoe_row[1] == "Zoë Ångström"
    assert zoe_row[0]
    # Her draft is no proposal yet; the second window crosses midnight in the event's time zone.
    assert zoe_row[3] == f"{good.code}: Fahrpläne für alle (confirmed)"
    assert zoe_row[4] == f"{good.code}: Fahrpläne für alle"
    assert zoe_row[5] == "2030-06-01 09:00–12:00\n2030-06-02 18:00 – 2030-06-03 10:00"
    dmitry = by_email["dmitry@example.org"]
    assert dmitry[1] == "Дмитрий"
    assert dmitry[3].splitlines() == sorted(
        [f"{good.code}: Fahrpläne für alle (confirmed)", f"{rejected.code}: Rejected idea (rejected)"]
    )
    assert dmitry[5] == ""
    assert by_email["plus@example.org"][1] == "'" + HOSTILE_NAME

    _name, _type, data = render(exporter, _format="xlsx", state=["submitted"])
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[1].value for row in rows] == ["'" + HOSTILE_NAME]
    assert rows[0][3].value == f"{proposals['hostile'].code}: {HOSTILE_TITLE} (submitted)"
    assert all(cell.data_type != "f" for cell in rows[0])


@pytest.fixture
def printable(released, talk_event, make_speaker) -> Any:
    """The released schedule, its speakers renamed to the names the PDF must print."""
    with scope(organizer=talk_event.organizer):
        speaker_profile_update(
            event=talk_event, user=make_speaker("alice@example.org"), data={"name": "Zoë Ångström"}
        )
        speaker_profile_update(
            event=talk_event, user=make_speaker("bob@example.org"), data={"name": "Дмитрий"}
        )
    return released


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_schedule_pdf_has_a_page_per_day_and_a_table_per_room(talk_event, printable, in_scope) -> None:
    filename, content_type, data = render(
        SchedulePDFExporter(organizer=talk_event.organizer, event=talk_event)
    )
    assert (filename, content_type) == ("example_conf_talk_schedule_pdf.pdf", "application/pdf")
    pages = pdf_pages(data)
    assert len(pages) == 3
    for number, (text, day) in enumerate(zip(pages, ("Saturday", "Sunday", "Monday"), strict=True), 1):
        assert f"{day}, June {number}, 2030 · v1" in text
        assert f"Page {number} of 3" in text
        assert "Saal Ü" in text and "Mittagspause" in text and "12:30–13:30" in text
    first = pages[0]
    # Day one: "Über Fahrpläne" (both speakers) at 10:00 in Saal Ü, "Plain talk" at 11:00 in Saal Ü.
    assert "10:00–10:30" in first and "Über Fahrpläne" in first
    assert "Zoë Ångström, Дмитрий" in first or "Дмитрий, Zoë Ångström" in first
    assert "Plain talk" in first
    assert "Ĉu vi parolas?" in pages[1]
    assert "日本語のトーク" in pages[1]  # set in a CID font, DejaVu Sans has no kana
    everything = "\n".join(pages)
    assert "Only accepted" not in everything
    assert "Ça marche & <ok>" in everything


def test_schedule_pdf_for_one_room_and_day_or_the_work_in_progress(
    talk_event, printable, rooms, make_submission, in_scope
) -> None:
    exporter = SchedulePDFExporter(organizer=talk_event.organizer, event=talk_event)
    _name, _type, data = render(exporter, room=str(rooms[1].pk), day="2030-06-02")
    (page,) = pdf_pages(data)
    # Room B on day two holds the Japanese talk at 10:00 and the Esperanto one at 11:00.
    assert "Room B" in page and "日本語のトーク" in page
    assert "Ĉu vi parolas?" in page
    assert "Saal Ü" not in page and "Über Fahrpläne" not in page and "Mittagspause" not in page
    (empty,) = pdf_pages(render(exporter, room=str(rooms[2].pk), day="2030-06-01")[2])
    assert "Nothing is scheduled here." in empty

    wip = wip_schedule(event=talk_event)
    late = make_submission(title="Late addition", state="accepted")
    maybe = TalkSlot.objects.get(schedule=wip, submission__title="Only accepted")
    slot_schedule(slot=maybe, room=rooms[2], start=dt.datetime(2030, 6, 3, 15, 0, tzinfo=TZ))
    submission_state_change(submission=late, new_state="confirmed", send_mail=False)
    placed = TalkSlot.objects.get(schedule=wip, submission=late)
    slot_schedule(slot=placed, room=rooms[2], start=dt.datetime(2030, 6, 3, 16, 0, tzinfo=TZ))

    released_only = "\n".join(pdf_pages(render(exporter, day="2030-06-03")[2]))
    assert "Late addition" not in released_only
    work_in_progress = "\n".join(pdf_pages(render(exporter, version="wip", day="2030-06-03")[2]))
    assert "Late addition" in work_in_progress and "16:00–16:30" in work_in_progress
    assert "work in progress" in work_in_progress
    assert "Only accepted" not in work_in_progress


def test_schedule_pdf_before_the_first_release_says_so(talk_event, rooms) -> None:
    _name, _type, data = render(SchedulePDFExporter(organizer=talk_event.organizer, event=talk_event))
    assert "No schedule has been released yet." in pdf_pages(data)[0]


def test_an_unknown_room_or_day_names_the_field(talk_event, proposals, rooms) -> None:
    exporter = SchedulePDFExporter(organizer=talk_event.organizer, event=talk_event)
    with pytest.raises(ValidationError) as invalid:
        exporter.clean_options({"room": "999999", "day": "2031-01-01"})
    assert set(invalid.value.message_dict) == {"room", "day"}


# --- through the API ------------------------------------------------------------------------------


def token_with(organizer: Any, permissions: list[str]) -> Any:
    from rest_framework.test import APIClient

    with scope(organizer=organizer):
        team = team_save(
            organizer=organizer, name="+".join(permissions), permissions=permissions, all_events=True
        )
        _token, secret = token_create(team=team, name="exports")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def listed(client: Any) -> set[str]:
    answer = client.get(API)
    assert answer.status_code == 200
    return {item["identifier"] for item in answer.json()["results"]}


def test_the_api_lists_each_exporter_to_those_holding_its_permission(
    api_client, organizer, talk_event, rooms
) -> None:
    assert {"talk_proposals", "talk_speakers", "talk_schedule_pdf"} <= listed(api_client)
    assert listed(token_with(organizer, ["event.submissions:read"])) >= {"talk_proposals", "talk_speakers"}
    assert "talk_schedule_pdf" not in listed(token_with(organizer, ["event.submissions:read"]))
    schedulers = token_with(organizer, ["event.schedule:write"])
    assert "talk_schedule_pdf" in listed(schedulers)
    assert not {"talk_proposals", "talk_speakers"} & listed(schedulers)
    assert schedulers.post(API + "talk_proposals/run/", {}, format="json").status_code == 404
    described = {item["identifier"]: item for item in api_client.get(API).json()["results"]}
    parameters = {p["name"]: p for p in described["talk_schedule_pdf"]["input_parameters"]}
    assert parameters["room"]["choices"] == [str(room.pk) for room in rooms]
    assert parameters["day"]["choices"] == ["2030-06-01", "2030-06-02", "2030-06-03"]
    assert parameters["version"]["default"] == "latest"


def test_another_organizers_token_gets_404(talk_event, other_organizer) -> None:
    outsider = token_with(other_organizer, ["event.submissions:read", "event.schedule:write"])
    assert outsider.get(API).status_code == 404
    assert outsider.post(API + "talk_speakers/run/", {}, format="json").status_code == 404


def test_speakers_export_runs_end_to_end_through_the_api(
    api_client, talk_event, proposals, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client.post(API + "talk_speakers/run/", {"_format": "csv"}, format="json")
    assert answer.status_code == 202, answer.content
    result = api_client.get(answer.json()["download"])
    assert result.status_code == 200
    assert result["Content-Disposition"].startswith('attachment; filename="example_conf_talk_speakers.csv"')
    rows = csv_rows(b"".join(result.streaming_content))
    assert {row[1] for row in rows[1:]} == {"Zoë Ångström", "Дмитрий", "'" + HOSTILE_NAME}


@pytest.mark.parametrize(
    ("identifier", "options", "field"),
    [
        ("talk_proposals", {"state": ["nonsense"]}, "state"),
        ("talk_proposals", {"state": "submitted"}, "state"),
        ("talk_proposals", {"track": [{"pk": 1}]}, "track"),
        ("talk_speakers", {"state": None, "_format": "pdf"}, "_format"),
        ("talk_schedule_pdf", {"room": {"id": 1}}, "room"),
        ("talk_schedule_pdf", {"day": "2030-13-45"}, "day"),
        ("talk_schedule_pdf", {"version": "v1"}, "version"),
    ],
)
def test_a_bad_option_answers_400_naming_it(
    api_client, talk_event, proposals, identifier, options, field
) -> None:
    answer = api_client.post(API + f"{identifier}/run/", options, format="json")
    assert answer.status_code == 400
    assert field in answer.json()


def test_the_control_export_page_offers_and_runs_them(
    client_for, user, talk_event, printable, rooms, django_capture_on_commit_callbacks
) -> None:
    from eventyay.base.models import Job

    page_url = "/control/event/example/conf/export/"
    client = client_for(user)
    page = client.get(page_url).content.decode()
    for field in (
        "talk_proposals-state",
        "talk_proposals-track",
        "talk_speakers-state",
        "talk_schedule_pdf-room",
    ):
        assert f'name="{field}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page_url,
            {
                "exporter": "talk_schedule_pdf",
                "talk_schedule_pdf-room": str(rooms[0].pk),
                "talk_schedule_pdf-day": "",
            },
        )
    assert response.status_code == 302
    with scope(organizer=talk_event.organizer):
        job = Job.objects.get()
    download = client.get(f"{page_url}jobs/{job.pk}/download/")
    assert download.status_code == 200
    pages = pdf_pages(b"".join(download.streaming_content))
    assert len(pages) == 3
    assert all("Saal Ü" in text and "Room B" not in text for text in pages)
