"""Cached pages answered before Django's middleware chain (eventyay.base.services.fast_pages).

Requests go through the production ASGI application; ``served_by`` says whether Django ran.
"""

import gzip
import re

import pytest
from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django_scopes import scope

from eventyay.base.services.events import event_update
from eventyay.base.services.plugins import event_plugins_update
from eventyay.testing.asgi import AsgiClient

FRONT = "/example/conf/"


def _token(html: bytes) -> str:
    return re.search(r'X-CSRFToken": "(\w+)"', html.decode()).group(1)


def _warm(client: AsgiClient, path: str = FRONT):
    first = client.get(path)
    assert first.status_code == 200
    return first


@pytest.mark.django_db
def test_second_visit_is_answered_without_django_with_the_same_headers(event):
    client = AsgiClient()
    first = _warm(client)
    assert first.served_by == "django"
    second = client.get(FRONT)
    assert second.served_by == "fast"
    assert second.status_code == 200
    assert second.content.replace(_token(second.content).encode(), b"") == first.content.replace(
        _token(first.content).encode(), b""
    )
    # Every header Django and its middleware sent, but the per-answer ones, is sent again.
    for name in ("content-type", "vary", "cache-control", "x-frame-options", "content-security-policy",
                 "referrer-policy", "x-content-type-options", "content-language"):  # fmt: skip
        assert second.get(name) == first.get(name), name
    assert second["ETag"] == first["ETag"]
    assert int(second["Content-Length"]) == len(second.content)


@pytest.mark.django_db
def test_fast_answer_and_etag_follow_the_visitors_csrf_secret(event):
    client = AsgiClient()
    _warm(client)
    response = client.get(FRONT)
    assert response.served_by == "fast"
    secret = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert _unmask_cipher_token(_token(response.content)) == secret
    not_modified = client.get(FRONT, HTTP_IF_NONE_MATCH=response["ETag"])
    assert not_modified.served_by == "fast"
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    # A first visitor gets a cookie of their own, as Django's middleware would issue it, and a
    # token of that secret; the other visitor's ETag is not theirs.
    stranger = AsgiClient()
    stranger.cookies.clear()
    warmed_elsewhere = stranger.get(FRONT, HTTP_IF_NONE_MATCH=response["ETag"])
    assert warmed_elsewhere.served_by == "fast"
    assert warmed_elsewhere.status_code == 200
    new_secret = stranger.cookies[settings.CSRF_COOKIE_NAME].value
    assert new_secret != secret
    assert _unmask_cipher_token(_token(warmed_elsewhere.content)) == new_secret
    cookie = warmed_elsewhere.set_cookies[0]
    assert "SameSite=Lax" in cookie and "Path=/" in cookie


@pytest.mark.django_db
def test_fast_answers_agree_with_djangos_csrf_check(event):
    """A form posted with the token of a fast answer passes Django's CSRF check."""
    client = AsgiClient()
    _warm(client)
    response = client.get(FRONT)
    assert response.served_by == "fast"
    browser = Client(enforce_csrf_checks=True)
    browser.cookies[settings.CSRF_COOKIE_NAME] = client.cookies[settings.CSRF_COOKIE_NAME].value
    posted = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": _token(response.content)})
    assert posted.status_code != 403


@pytest.mark.django_db
def test_every_change_of_the_event_shows_at_once_through_the_fast_path(event):
    client = AsgiClient()
    _warm(client)
    etag = client.get(FRONT)["ETag"]
    with scope(organizer=event.organizer):
        event_update(event=event, data={"description": {"en": "Now with workshops"}})
    changed = client.get(FRONT, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert "Now with workshops" in changed.content.decode()
    assert changed["ETag"] != etag
    assert client.get(FRONT).served_by == "fast"
    with scope(organizer=event.organizer):
        event.settings.set("contact_email", "desk@example.org")
    assert "desk@example.org" in client.get(FRONT).content.decode()


@pytest.mark.django_db
def test_plugin_switched_off_disappears_at_once_through_the_fast_path(make_event):
    event = make_event(slug="conf", plugins=["talk"])
    client = AsgiClient()
    _warm(client)
    assert "Programme" in client.get(FRONT).content.decode()
    with scope(organizer=event.organizer):
        event_plugins_update(event=event, disable=["talk"], is_admin=True)
    assert "Programme" not in client.get(FRONT).content.decode()
    assert client.get(FRONT + "schedule/").status_code == 404


@pytest.mark.django_db
def test_session_cookie_and_campaign_parameters_go_to_django(event):
    client = AsgiClient()
    _warm(client)
    assert client.get(FRONT).served_by == "fast"
    assert client.get(FRONT + "?utm_source=mail").served_by == "django"
    assert client.get(FRONT, HTTP_X_REQUESTED_WITH="x").served_by == "fast"
    assert client.get(FRONT, HTTP_AUTHORIZATION="Token abc").served_by == "django"
    client.cookies[settings.SESSION_COOKIE_NAME] = "some-session"
    live = client.get(FRONT)
    assert live.served_by == "django"
    assert "etag" not in live.headers


@pytest.mark.django_db
def test_language_and_variant_headers_are_part_of_the_key(event):
    client = AsgiClient()
    _warm(client)
    assert client.get(FRONT).served_by == "fast"
    german = client.get(FRONT, HTTP_ACCEPT_LANGUAGE="de")
    assert german.served_by == "django"
    assert german["Content-Language"] == "de"
    assert client.get(FRONT, HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "de"
    assert client.get(FRONT, HTTP_ACCEPT_LANGUAGE="de").served_by == "fast"
    assert client.get(FRONT)["Content-Language"] == "en"
    assert client.get(FRONT, HTTP_HX_REQUEST="true").served_by == "django"


@pytest.mark.django_db
def test_head_and_pages_of_other_events_are_kept_apart(event, other_organizer):
    client = AsgiClient()
    _warm(client)
    _warm(client, "/other/otherconf/")
    head = client.head(FRONT)
    assert head.served_by == "fast" and head.content == b"" and head.status_code == 200
    assert "Other Conference" not in client.get(FRONT).content.decode()
    assert "Other Conference" in client.get("/other/otherconf/").content.decode()
    assert client.get("/other/conf/").status_code == 404
    assert client.get("/example/otherconf/").status_code == 404


def test_gzip_twin_of_a_body_without_tokens():
    from eventyay.base.services.fast_pages import FastEntry, answer

    body = b"<xml>" + b"talk " * 1000 + b"</xml>"
    entry = FastEntry(
        event_id=1,
        version=3,
        headers=((b"content-type", b"application/xml"), (b"vary", b"Accept-Encoding")),
        digest="d",
        has_csrf=False,
        etag=b'"abc"',
        has_gzip=True,
    )
    scope = {"method": "GET", "headers": [(b"accept-encoding", b"gzip, br")]}
    status, headers, content = answer(scope, entry, (body, gzip.compress(body)))
    assert status == 200 and dict(headers)[b"content-encoding"] == b"gzip"
    assert gzip.decompress(content) == body
    plain = answer({"method": "GET", "headers": []}, entry, (body, gzip.compress(body)))
    assert plain[2] == body and b"content-encoding" not in dict(plain[1])
    assert (
        answer({"method": "GET", "headers": [(b"if-none-match", b'W/"abc"')]}, entry, (body, None))[0] == 304
    )
