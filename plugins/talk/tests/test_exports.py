"""Schedule exports: c3voc-valid XML, c3voc JSON, iCal, frozen versions, caching headers, queries."""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import pytest
import xmlschema
from django.test import Client
from eventyay_talk.models import ScheduleExport, Submission
from eventyay_talk.models.submission import talk_guid
from eventyay_talk.services.schedule import schedule_release
from eventyay_talk.services.submissions import submission_update

from .conftest import XSD_PATH, url


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD_PATH))


def test_schedule_xml_is_valid_against_the_c3voc_schema(released, talk_event, schema) -> None:
    response = Client().get(url(talk_event, "export.latest", identifier="xml"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    schema.validate(response.content)
    document = schema.to_dict(response.content)
    assert len(document["day"]) == 3
    titles = {
        event["title"]
        for day in document["day"]
        for room in day.get("room", [])
        for event in room.get("event", [])
    }
    assert {"Über Fahrpläne", "日本語のトーク", "Ça marche & <ok>"} <= titles
    assert "Only accepted" not in titles
    first = next(
        event
        for day in document["day"]
        for room in day.get("room", [])
        for event in room.get("event", [])
        if event["title"] == "Über Fahrpläne"
    )
    assert sorted(p["$"] for p in first["persons"]["person"]) == ["Alice Ångström", "Bob Bœuf"]


def test_xml_guid_and_code_are_stable(released, talk_event, schema) -> None:
    submission = released.talk_submissions[0]
    content = Client().get(url(talk_event, "export.latest", identifier="xml")).content.decode()
    assert f'guid="{talk_guid(talk_event, submission.code)}"' in content
    assert f'code="{submission.code}"' in content


def test_schedule_json_has_the_c3voc_structure(released, talk_event) -> None:
    response = Client().get(url(talk_event, "export.latest", identifier="json"))
    data = json.loads(response.content)
    conference = data["schedule"]["conference"]
    assert data["schedule"]["version"] == "v1"
    assert conference["acronym"] == "conf" and conference["daysCount"] == 3
    assert [room["name"] for room in conference["rooms"]] == ["Saal Ü", "Room B", "Room C"]
    day = conference["days"][0]
    assert set(day) >= {"index", "date", "day_start", "day_end", "rooms"}
    talks = [talk for room in day["rooms"].values() for talk in room]
    assert talks
    talk = talks[0]
    assert set(talk) >= {
        "guid",
        "code",
        "id",
        "date",
        "start",
        "duration",
        "room",
        "title",
        "type",
        "persons",
    }
    assert talk["duration"] == "00:30"
    assert dt.datetime.fromisoformat(talk["date"]).utcoffset() == dt.timedelta(hours=2)
    assert all(set(person) >= {"guid", "public_name"} for person in talk["persons"])


def test_ical_exports_parse(released, talk_event) -> None:
    client = Client()
    calendar = icalendar.Calendar.from_ical(
        client.get(url(talk_event, "export.latest", identifier="ics")).content
    )
    events = calendar.walk("VEVENT")
    assert len(events) == 6
    assert {str(e["summary"]) for e in events} >= {"Über Fahrpläne", "日本語のトーク"}
    submission = released.talk_submissions[1]
    single = icalendar.Calendar.from_ical(
        client.get(url(talk_event, "talk.ics", code=submission.code)).content
    )
    (event,) = single.walk("VEVENT")
    assert str(event["summary"]) == submission.title
    assert event.decoded("dtstart") == dt.datetime(2030, 6, 2, 8, 0, tzinfo=dt.UTC)
    profile = submission.speakers.first().talk_profiles.get()
    mine = icalendar.Calendar.from_ical(client.get(url(talk_event, "speaker.ics", code=profile.code)).content)
    assert len(mine.walk("VEVENT")) == 4


def test_released_version_exports_never_change(released, talk_event, rooms) -> None:
    client = Client()
    versioned = {
        ext: client.get(url(talk_event, "export.version", version="v1", identifier=ext))
        for ext in ("xml", "json", "ics")
    }
    submission = released.talk_submissions[2]
    submission_update(submission=submission, data={"title": "Renamed after release"})
    for ext, response in versioned.items():
        again = client.get(url(talk_event, "export.version", version="v1", identifier=ext))
        assert again.content == response.content
        assert b"Renamed after release" not in again.content
    schedule_release(event=talk_event, version="v2", notify_speakers=False)
    assert b"Renamed after release" in client.get(url(talk_event, "export.latest", identifier="xml")).content
    assert (
        client.get(url(talk_event, "export.version", version="v1", identifier="xml")).content
        == versioned["xml"].content
    )


def test_exports_are_stored_at_release(released) -> None:
    assert set(ScheduleExport.objects.filter(schedule=released).values_list("identifier", flat=True)) == {
        "xml",
        "json",
        "ics",
    }


def test_exports_send_cors_etag_and_answer_304(released, talk_event) -> None:
    client = Client()
    target = url(talk_event, "export.latest", identifier="json")
    response = client.get(target)
    assert response["Access-Control-Allow-Origin"] == "*"
    etag, modified = response["ETag"], response["Last-Modified"]
    assert client.get(target, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(target, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(target, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    versioned = client.get(url(talk_event, "export.version", version="v1", identifier="xml"))
    assert "immutable" in versioned["Cache-Control"]
    assert (
        client.get(
            url(talk_event, "export.version", version="v1", identifier="xml"),
            HTTP_IF_NONE_MATCH=versioned["ETag"],
        ).status_code
        == 304
    )


@pytest.mark.parametrize(("accept", "identifier"), [("application/json", "json"), ("application/xml", "xml")])
def test_schedule_page_negotiates_exports_with_303(
    released, talk_event, accept: str, identifier: str
) -> None:
    response = Client().get(url(talk_event, "schedule"), HTTP_ACCEPT=accept)
    assert response.status_code == 303
    assert response["Location"] == url(talk_event, "export.latest", identifier=identifier)


def test_browsers_get_the_html_schedule(released, talk_event) -> None:
    response = Client().get(url(talk_event, "schedule"), HTTP_ACCEPT="text/html,application/xml;q=0.9")
    assert response.status_code == 200 and b"Mittagspause" in response.content


def test_unknown_versions_and_formats_are_404(released, talk_event) -> None:
    client = Client()
    assert client.get(url(talk_event, "export.version", version="nope", identifier="xml")).status_code == 404
    assert client.get(url(talk_event, "export.latest", identifier="pdf")).status_code == 404
    assert client.get(url(talk_event, "export.version", version="wip", identifier="xml")).status_code == 404


def test_a_plugin_exporter_is_served_through_the_hook(released, talk_event) -> None:
    from eventyay_talk.exporters import ScheduleExporter

    from eventyay.testing.plugin import register_temporarily

    exporter = ScheduleExporter(
        "txt", "Text", "text/plain", lambda data: f"{sum(t['kind'] == 'talk' for t in data['talks'])} talks"
    )
    with register_temporarily("talk", register_schedule_exporters=lambda event: [exporter]):
        response = Client().get(url(talk_event, "export.version", version="v1", identifier="txt"))
    assert response.content == b"6 talks"


def test_export_queries_do_not_grow_with_the_schedule(
    released, talk_event, make_submission, rooms, django_assert_max_num_queries
) -> None:
    client = Client()
    # The first request of a process looks the event up (then it comes from the cache).
    client.get(url(talk_event, "export.latest", identifier="xml"))
    for identifier in ("xml", "json", "ics"):
        with django_assert_max_num_queries(3):
            client.get(url(talk_event, "export.latest", identifier=identifier))
    codes = [s.code for s in released.talk_submissions]
    with django_assert_max_num_queries(12):
        client.get(url(talk_event, "talk.ics", code=codes[0]))
    assert Submission.objects.filter(event=talk_event).count() == 7
