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
