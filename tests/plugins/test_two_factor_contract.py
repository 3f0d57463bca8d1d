"""Contract: no control page and no session-authenticated API route, the core's or a plugin's,
shows anything to a session that passed the password but not the second factor of its account.

The test walks every URL pattern under ``control/`` and ``api/v1/`` with such a session, on an
event with every installed plugin switched on (organizer-level ones for its organizer), as a superuser and administrator of the
organizer: a control page must send it to the second-factor step (or to the login, which sends
it there), an API route that is not public must answer 401 or 403.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scope

from eventyay.base.plugins.manager import installed_plugins
from eventyay.base.services.organizer_plugins import organizer_plugins_update

#: Pages that are there for signing in; everything else under control/ needs a login.
SIGN_IN_PAGES = re.compile(r"^control/(login/|login/2fa/|logout/|signup/|password/)")
#: The OAuth endpoints for applications (token, revocation) authenticate the application.
APPLICATION_ENDPOINTS = re.compile(r"^api/v1/oauth/(token|revoke_token)")
VALUES = {"organizer": "example", "event": "conf"}
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _value(converter: str | None, name: str) -> str:
    if name in VALUES:
        return VALUES[name]
    if converter == "int":
        return "1"
    if converter == "uuid":
        return str(uuid.UUID(int=1))
    return "x"


def routes(patterns: list | None = None, prefix: str = "") -> Iterator[str]:
    """Every concrete path of the URL configuration (converters filled in), regexes left out."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(pattern.pattern)
        if route.startswith("^") or "(?P" in route:
            continue
        path = prefix + CONVERTER.sub(lambda m: _value(m.group(1), m.group(2)), route)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, path)
        elif isinstance(pattern, URLPattern):
            yield path


@pytest.fixture
def unverified(user, client_for, make_event):
    user.is_superuser = True
    user.save()
    plugins = installed_plugins().values()
    event = make_event(
        slug="conf", plugins=sorted(info.name for info in plugins if info.level != "organizer")
    )
    with scope(organizer=event.organizer):
        organizer_plugins_update(
            organizer=event.organizer,
            enable=[info.name for info in plugins if info.level == "organizer"],
            is_admin=True,
        )
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return client_for(user)


def answer(client, path: str):
    response = client.get("/" + path)
    if response.status_code == 405:
        response = client.post("/" + path)
    return response


@pytest.mark.django_db
def test_no_control_page_shows_anything_to_an_unverified_session(unverified):
    pages = [path for path in routes() if path.startswith("control/") and not SIGN_IN_PAGES.match(path)]
    assert len(pages) > 50
    assert any(path.startswith("control/event/example/conf/tickets/") for path in pages)
    leaks = {}
    for path in pages:
        response = answer(unverified, path)
        location = response.get("Location", "")
        if response.status_code != 302 or not location.startswith(("/control/login/2fa/", "/control/login/")):
            leaks[path] = (response.status_code, location)
    assert leaks == {}
    assert unverified.get("/control/login/")["Location"].startswith("/control/login/2fa/")


@pytest.mark.django_db
def test_no_api_route_answers_an_unverified_session(unverified):
    paths = [
        path for path in routes() if path.startswith("api/v1/") and not APPLICATION_ENDPOINTS.match(path)
    ]
    assert any("/events/conf/" in path for path in paths)
    anonymous = Client()
    # The API root, schema and docs are public: they answer anyone, so nothing to check there.
    private = [path for path in paths if anonymous.get("/" + path).status_code != 200]
    assert len(private) > 20
    leaks = {}
    for path in private:
        response = answer(unverified, path)
        allowed = response.status_code in (401, 403)
        if path == "api/v1/oauth/authorize":
            # The consent screen is a page: it sends the session to log in, i.e. to the code.
            allowed = response.status_code == 302 and "/control/login/" in response["Location"]
        if not allowed:
            leaks[path] = response.status_code
    assert leaks == {}
