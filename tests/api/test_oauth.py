"""The OAuth2 authorization-code flow with PKCE, driven by requests-oauthlib against a live server."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client
from django_scopes import scopes_disabled
from oauth2_provider.models import get_application_model
from requests_oauthlib import OAuth2Session

from eventyay.api.models import OAuthAuthorization

REDIRECT_URI = "http://127.0.0.1:9/callback"
SECRET = "a-client-secret-for-tests"


class FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.organizers: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag != "input":
            return
        if values.get("type") == "hidden":
            self.hidden[values["name"] or ""] = values.get("value") or ""
        elif values.get("name") == "organizers":
            self.organizers[values.get("id") or ""] = values.get("value") or ""


@pytest.fixture
def application(user: Any) -> Any:
    return get_application_model().objects.create(
        name="Check-in app",
        user=user,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris=REDIRECT_URI,
        client_secret=SECRET,
    )


def logged_in_session(user: Any) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return session


def authorize(
    live_server: Any, user: Any, application: Any, scope: list[str], choose: int
) -> tuple[OAuth2Session, dict]:
    """Run the browser part of the flow (consent with an organizer choice), then fetch the token."""
    oauth = OAuth2Session(application.client_id, redirect_uri=REDIRECT_URI, scope=scope, pkce="S256")
    url, _state = oauth.authorization_url(f"{live_server.url}/api/v1/oauth/authorize")
    browser = logged_in_session(user)
    page = browser.get(url)
    assert page.status_code == 200, page.text[:500]
    form = FormReader()
    form.feed(page.text)
    assert form.organizers, "the consent screen offers the user's organizers"
    for description in ("Read access",):
        assert description in page.text
    data = {**form.hidden, "allow": "on", "organizers": [str(choose)]}
    answer = browser.post(url, data=data, allow_redirects=False, headers={"Referer": url})
    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["Location"]
    assert "code" in parse_qs(urlsplit(location).query)
    token = oauth.fetch_token(
        f"{live_server.url}/api/v1/oauth/token", authorization_response=location, client_secret=SECRET
    )
    return oauth, token


def bearer(token: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.mark.django_db(transaction=True)
def test_authorization_code_flow_with_pkce_refresh_and_revoke(
    live_server, insecure_transport, user, organizer, event, other_organizer, application
):
    with scopes_disabled():
        other_organizer.teams.first().members.add(user)
    oauth, token = authorize(live_server, user, application, ["read", "profile"], choose=organizer.pk)
    api = f"{live_server.url}/api/v1"
    assert requests.get(f"{api}/me", headers=bearer(token)).json()["email"] == user.email
    events = requests.get(f"{api}/organizers/example/events/", headers=bearer(token))
    assert events.status_code == 200 and events.json()["count"] == 1
    listed = requests.get(f"{api}/organizers/", headers=bearer(token)).json()
    assert [o["slug"] for o in listed["results"]] == ["example"]
    not_chosen = requests.get(f"{api}/organizers/other/events/", headers=bearer(token))
    assert not_chosen.status_code == 404, "the user did not choose this organizer"
    write = requests.patch(
        f"{api}/organizers/example/events/conf/", json={"live": False}, headers=bearer(token)
    )
    assert write.status_code == 403
    assert "write" in write.json()["detail"]

    refreshed = oauth.refresh_token(
        f"{live_server.url}/api/v1/oauth/token", client_id=application.client_id, client_secret=SECRET
    )
    assert refreshed["access_token"] != token["access_token"]
    assert requests.get(f"{api}/organizers/example/events/", headers=bearer(refreshed)).status_code == 200
    assert requests.get(f"{api}/organizers/other/events/", headers=bearer(refreshed)).status_code == 404

    revoked = requests.post(
        f"{live_server.url}/api/v1/oauth/revoke_token",
        data={
            "token": refreshed["access_token"],
            "client_id": application.client_id,
            "client_secret": SECRET,
        },
    )
    assert revoked.status_code == 200
    assert requests.get(f"{api}/organizers/example/events/", headers=bearer(refreshed)).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_write_token_never_exceeds_team_permissions(
    live_server, insecure_transport, user, organizer, event, application, make_team
):
    from eventyay.base.models import User

    helper = User.objects.create_user("helper@example.org", "helper horse battery")
    team = make_team(name="Readers", permissions=("event.settings:read",))
    with scopes_disabled():
        team.members.add(helper)
    _oauth, token = authorize(live_server, helper, application, ["read", "write"], choose=organizer.pk)
    api = f"{live_server.url}/api/v1"
    assert requests.get(f"{api}/organizers/example/events/conf/", headers=bearer(token)).status_code == 200
    write = requests.patch(
        f"{api}/organizers/example/events/conf/", json={"live": False}, headers=bearer(token)
    )
    assert write.status_code == 403, "the user's team cannot change event settings"
    assert OAuthAuthorization.objects.filter(user=helper, organizers=organizer).exists()


@pytest.mark.django_db
def test_consent_without_an_organizer_is_refused(client, user, organizer, application):
    client.force_login(user)
    response = client.post(
        "/api/v1/oauth/authorize",
        {
            "allow": "on",
            "client_id": application.client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "read",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 200
    assert "Choose at least one organizer" in response.content.decode()
