"""Inputs the schemathesis run once answered with a 5xx or outside the schema."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db


def test_token_list_and_detail_match_the_token_schema_and_only_creation_shows_the_secret(
    api_client, admin_team, client
):
    base = f"/api/v1/organizers/example/teams/{admin_team.pk}/tokens/"
    created = api_client.post(base, {"name": "scanner"}, format="json")
    assert created.status_code == 201
    assert created.json()["token"]
    listed = api_client.get(base).json()["results"]
    detail = api_client.get(f"{base}{created.json()['id']}/").json()
    schema = client.get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert "token" not in components["Token"]["properties"]
    assert all("token" not in row for row in [*listed, detail])
    assert "token" in components["TokenCreated"]["required"]
    answer = schema["paths"]["/api/v1/organizers/{organizer}/teams/{team}/tokens/"]["post"]["responses"]
    assert answer["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenCreated"
    }


@pytest.mark.parametrize("method", ["patch", "put"])
def test_team_change_accepts_a_form_encoded_body(api_client, make_team, method):
    team = make_team(name="Scanners")
    body = urlencode(
        {"name": "Door scanners", "permissions": "event.checkin:write", "all_events": "true"}, doseq=True
    )
    response = getattr(api_client, method)(
        f"/api/v1/organizers/example/teams/{team.pk}/",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Door scanners"
    assert response.json()["permissions"] == ["event.checkin:write"]


@pytest.mark.parametrize("text", ['{"": {"x": null}}', "123", "null", '"quoted"'])
def test_a_translated_text_that_parses_as_json_is_kept_as_a_text(api_client, event, client, text):
    from eventyay.testing.openapi import assert_answer_documented

    url = f"/api/v1/organizers/example/events/{event.slug}/"
    changed = api_client.patch(url, {"description": text}, format="json")
    assert changed.status_code == 200, changed.content
    answer = api_client.get(url)
    assert answer.json()["description"] == {"en": text}
    document = client.get("/api/v1/schema/?format=json").json()
    assert_answer_documented(
        document, answer, path="/api/v1/organizers/{organizer}/events/{event}/", method="get"
    )


def test_a_body_without_content_type_is_a_documented_415(api_client, client):
    from eventyay.testing.openapi import assert_answer_documented

    response = api_client.generic("POST", "/api/v1/organizers/example/events/", b"\xc2\x83", content_type="")
    assert response.status_code == 415
    document = client.get("/api/v1/schema/?format=json").json()
    assert_answer_documented(document, response, path="/api/v1/organizers/{organizer}/events/", method="post")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "Hall\x00"}, "description"),
        ({"description": {"en": "Hall", "de": "Saal\x00"}}, "description.de"),
        ({"name": {"en": "Hall"}, "extra": [{"a": ["x", "y\x00"]}]}, "extra.0.a.1"),
        ({"name": "Hall", "ke\x00y": 1}, "non_field_errors"),
    ],
)
def test_a_nul_character_anywhere_in_a_json_body_is_refused_naming_where(api_client, event, body, field):
    """PostgreSQL stores no NUL in a text or jsonb value: an event's description gave a 500."""
    response = api_client.patch(f"/api/v1/organizers/example/events/{event.slug}/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {field: ["Null characters are not allowed."]}


def test_a_translated_text_refuses_a_nul_character_in_a_form_body(api_client, event):
    response = api_client.patch(
        f"/api/v1/organizers/example/events/{event.slug}/",
        urlencode({"description": "Hall\x00"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"description": ["Null characters are not allowed."]}
