"""Form-encoded and multipart team changes against a real ASGI server (uvicorn).

The in-process test client skips the ASGI server's body handling and keeps no connection, so
these requests go over one keep-alive connection: a dropped connection fails the next request,
and every answer, including Django's own body limits, must be JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from eventyay.testing.servers import asgi_server, embedded_env, free_port
from tests.infra.test_make_run import manage

TOKEN_SCRIPT = """
from django_scopes import scope, scopes_disabled
from eventyay.base.models import Team
from eventyay.base.services.teams import team_save, token_create
with scopes_disabled():
    admins = Team.objects.get(organizer__slug="demo", name="Administrators")
with scope(organizer=admins.organizer):
    _token, secret = token_create(team=admins, name="live")
    team = team_save(organizer=admins.organizer, name="Scanners", permissions=[], all_events=True, limit_events=[])
print("TOKEN", secret, "TEAM", team.pk)
"""


@dataclass
class LiveTeam:
    url: str
    session: requests.Session


@pytest.fixture(scope="module")
def live_team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTeam]:
    data_dir = tmp_path_factory.mktemp("live-api")
    port = free_port()
    env = embedded_env(data_dir, EVENTYAY_SITE_URL=f"http://127.0.0.1:{port}")
    manage(env, "migrate", "--noinput")
    manage(env, "demo")
    created = re.search(r"TOKEN (\S+) TEAM (\d+)", manage(env, "shell", "-c", TOKEN_SCRIPT))
    assert created
    with asgi_server(env, port=port, log=data_dir / "server.log") as base:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {created.group(1)}"
        yield LiveTeam(f"{base}/api/v1/organizers/demo/teams/{created.group(2)}/", session)
        session.close()


FORM = "application/x-www-form-urlencoded"


def send(team: LiveTeam, method: str, **kwargs: Any) -> requests.Response:
    response = team.session.request(method, team.url, timeout=60, **kwargs)
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:500]
    return response


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_form_encoded_and_multipart_changes_are_applied(live_team, method):
    fields = {"name": "Door", "permissions": "event.checkin:write", "all_events": "true"}
    for body in ({"data": fields}, {"files": {key: (None, value) for key, value in fields.items()}}):
        response = send(live_team, method, **body)
        assert response.status_code == 200, response.text
        assert response.json()["permissions"] == ["event.checkin:write"]


def test_repeated_keys_set_lists(live_team):
    body = (
        "permissions=event.checkin:write&permissions=event.orders:read&limit_events=democon&all_events=false"
    )
    response = send(live_team, "PATCH", data=body, headers={"Content-Type": FORM})
    assert response.status_code == 200, response.text
    assert response.json()["permissions"] == ["event.checkin:write", "event.orders:read"]
    assert response.json()["limit_events"] == ["democon"]


def test_an_empty_form_body_changes_nothing_on_patch_and_is_a_400_on_put(live_team):
    assert send(live_team, "PATCH", data=b"", headers={"Content-Type": FORM}).status_code == 200
    refused = send(live_team, "PUT", data=b"", headers={"Content-Type": FORM})
    assert refused.status_code == 400
    assert "name" in refused.json()


def test_a_multipart_body_without_boundary_is_a_400(live_team):
    response = send(live_team, "PATCH", data=b"name=x", headers={"Content-Type": "multipart/form-data"})
    assert response.status_code == 400


@pytest.mark.parametrize("idempotency_key", [None, "too-many-fields"])
def test_more_fields_than_django_reads_are_a_json_400(live_team, idempotency_key):
    headers = {"Content-Type": FORM, **({"X-Idempotency-Key": idempotency_key} if idempotency_key else {})}
    body = "&".join(f"permissions=p{index}" for index in range(1500))
    response = send(live_team, "PATCH", data=body, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body has too many fields."}


@pytest.mark.parametrize("idempotency_key", [None, "too-large"])
def test_a_body_over_the_size_limit_is_a_json_400(live_team, idempotency_key):
    headers = {"Content-Type": FORM, **({"X-Idempotency-Key": idempotency_key} if idempotency_key else {})}
    response = send(live_team, "PATCH", data="name=" + "a" * 3_000_000, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is too large."}
