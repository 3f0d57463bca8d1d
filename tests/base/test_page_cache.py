"""The content version, the anonymous page cache and the cached tenant lookup (eventyay.base.services.cache)."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django_scopes import scope

from eventyay.base.models import ContentVersion
from eventyay.base.services import cache as page_cache
from eventyay.base.services.cache import content_version, content_version_bump, tenant_event
from eventyay.base.services.events import event_update
from eventyay.base.services.plugins import event_plugins_update


@pytest.mark.django_db
def test_bump_raises_the_version_once_per_call(event):
    before = content_version(event)
    content_version_bump(event)
    content_version_bump(event.pk)
    assert content_version(event) == before + 2


@pytest.mark.django_db(transaction=True)
def test_bump_is_undone_with_a_rolled_back_transaction(event):
    before = content_version(event)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        content_version_bump(event)
        raise Abort()
    assert content_version(event) == before
    assert ContentVersion.objects.get(event=event).version == before


@pytest.mark.django_db
def test_version_survives_the_loss_of_the_cache(event):
    content_version_bump(event)
    version = content_version(event)
    cache.clear()
    assert content_version(event) == version
    content_version_bump(event)
    assert content_version(event) == version + 1


@pytest.mark.django_db
def test_saving_the_event_or_a_setting_bumps(event):
    before = content_version(event)
    with scope(organizer=event.organizer):
        event_update(event=event, data={"name": {"en": "Renamed"}})
        after_save = content_version(event)
        event.settings.set("contact_email", "info@example.org")
    assert after_save > before
    assert content_version(event) > after_save


@pytest.mark.django_db
def test_front_page_is_served_from_the_cache_with_an_etag(client, event):
    first = client.get("/example/conf/")
    assert first.status_code == 200
    assert first.wsgi_request.eventyay_page_cache == "miss"
    etag = first["ETag"]
    second = client.get("/example/conf/")
    assert second.wsgi_request.eventyay_page_cache == "hit"
    assert second["ETag"] == etag
    assert _without_tokens(second) == _without_tokens(first)
    assert "Cookie" in second["Vary"]
    not_modified = client.get("/example/conf/", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == etag
    assert not_modified.content == b""


def _without_tokens(response):
    return re.sub(r"X-CSRFToken&quot;: &quot;\w+|X-CSRFToken\": \"\w+", "", response.content.decode())


@pytest.mark.django_db
def test_csrf_token_of_a_cached_page_is_valid_for_the_visitor(client, event):
    client.get("/example/conf/")
    response = client.get("/example/conf/")
    assert response.wsgi_request.eventyay_page_cache == "hit"
    token = re.search(r'X-CSRFToken": "(\w+)"', response.content.decode()).group(1)
    secret = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert _unmask_cipher_token(token) == secret


@pytest.mark.django_db
def test_new_csrf_cookie_means_no_304(client, event):
    first = client.get("/example/conf/")
    other = Client()
    assert other.get("/example/conf/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.django_db
def test_cached_front_page_reads_no_table_but_the_version(client, event, django_assert_max_num_queries):
    client.get("/example/conf/")
    # The version row in embedded mode (local-memory cache), nothing at all with a shared cache.
    with django_assert_max_num_queries(1):
        assert client.get("/example/conf/").status_code == 200


@pytest.mark.django_db
def test_change_of_the_event_shows_at_once_with_a_new_etag(client, event):
    first = client.get("/example/conf/")
    with scope(organizer=event.organizer):
        event_update(event=event, data={"description": {"en": "Now with workshops"}})
    second = client.get("/example/conf/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert "Now with workshops" in second.content.decode()
    assert second["ETag"] != first["ETag"]


@pytest.mark.django_db
def test_plugin_switched_off_disappears_at_once(client, make_event):
    event = make_event(slug="conf", plugins=["talk"])
    assert "Programme" in client.get("/example/conf/").content.decode()
    with scope(organizer=event.organizer):
        event_plugins_update(event=event, disable=["talk"], is_admin=True)
    assert "Programme" not in client.get("/example/conf/").content.decode()
    assert client.get("/example/conf/schedule/").status_code == 404


@pytest.mark.django_db
def test_logged_in_visitor_gets_the_live_page(client, client_for, user, event):
    client.get("/example/conf/")
    member = client_for(user)
    response = member.get("/example/conf/")
    assert response.status_code == 200
    assert getattr(response.wsgi_request, "eventyay_page_cache", None) is None
    assert "ETag" not in response


@pytest.mark.django_db
def test_visitor_with_a_session_cookie_gets_the_live_page(client, event):
    client.cookies[settings.SESSION_COOKIE_NAME] = "some-session"
    response = client.get("/example/conf/")
    assert getattr(response.wsgi_request, "eventyay_page_cache", None) is None


@pytest.mark.django_db
def test_page_that_sets_a_cookie_is_not_stored(rf, event):
    from django.http import HttpResponse

    def render():
        response = HttpResponse("hello")
        response.set_cookie("cart", "42")
        return response

    request = rf.get("/example/conf/")
    first = page_cache.serve_cached_page(request, event, render)
    assert first.cookies
    again = rf.get("/example/conf/")
    page_cache.serve_cached_page(again, event, render)
    assert again.eventyay_page_cache == "miss"


@pytest.mark.django_db
def test_event_not_live_is_never_cached_for_the_public(client, client_for, user, make_event):
    make_event(slug="draft", live=False)
    assert client.get("/example/draft/").status_code == 404
    assert client_for(user).get("/example/draft/").status_code == 200
    assert client.get("/example/draft/").status_code == 404


@pytest.mark.django_db
def test_tenant_event_is_cached_and_follows_changes(event, django_assert_max_num_queries):
    found = tenant_event("example", "conf")
    assert found is not None and found.pk == event.pk
    assert "talk" not in found.enabled_plugin_names
    with django_assert_max_num_queries(1):
        cached = tenant_event("example", "conf")
        assert cached is not None
        assert cached.organizer.slug == "example"
        assert cached.enabled_plugin_names == found.enabled_plugin_names
    with scope(organizer=event.organizer):
        event_plugins_update(event=event, enable=["talk"], is_admin=True)
    refreshed = tenant_event("example", "conf")
    assert refreshed is not None and "talk" in refreshed.enabled_plugin_names


class _CountingCache:
    """The real cache, counting the calls that go to the server."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    def __getattr__(self, name):
        if name in ("get", "get_many"):
            self.reads.append(name)
        return getattr(cache, name)


@pytest.mark.django_db
def test_tenant_event_reads_the_shared_cache_once_and_follows_a_bump(
    event, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(page_cache, "cache_is_shared", lambda: True)
    counting = _CountingCache()
    monkeypatch.setattr(page_cache, "cache", counting)
    assert tenant_event("example", "conf") is not None
    tenant_event("example", "conf")
    counting.reads.clear()
    kept = tenant_event("example", "conf")
    assert kept is not None and kept.pk == event.pk
    assert counting.reads == ["get_many"]
    with scope(organizer=event.organizer), django_capture_on_commit_callbacks(execute=True):
        event_update(event=event, data={"name": {"en": "Renamed"}})
    counting.reads.clear()
    renamed = tenant_event("example", "conf")
    assert renamed is not None and str(renamed.name) == "Renamed"
    # The number changed since this process last read it: a second round trip for the new objects.
    assert counting.reads == ["get_many", "get_many"]
    counting.reads.clear()
    assert str(tenant_event("example", "conf").name) == "Renamed"
    assert counting.reads == ["get_many"]


@pytest.mark.django_db
def test_tenant_event_follows_a_new_short_form(client, event):
    assert tenant_event("example", "conf") is not None
    with scope(organizer=event.organizer):
        event_update(event=event, data={"slug": "conf2026"})
    assert tenant_event("example", "conf") is None
    renamed = tenant_event("example", "conf2026")
    assert renamed is not None and renamed.pk == event.pk
    assert client.get("/example/conf/").status_code == 404
    assert client.get("/example/conf2026/").status_code == 200


@pytest.mark.django_db
def test_pages_of_two_events_are_kept_apart(client, event, other_organizer):
    ours = client.get("/example/conf/")
    theirs = client.get("/other/otherconf/")
    assert "Conference conf" in ours.content.decode()
    assert "Other Conference" in theirs.content.decode()
    assert "Other Conference" not in client.get("/example/conf/").content.decode()
    assert client.get("/other/conf/").status_code == 404
    assert client.get("/example/otherconf/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_one_builder_lets_one_thread_build_and_takes_the_connection_before_the_lock():
    import threading
    import time

    from django.db import connection

    from eventyay.base.models import Event

    key = ("tests:one-builder", "state")
    built: list[str] = []
    connected_inside: list[bool] = []
    gate = threading.Barrier(4)

    def builder() -> None:
        gate.wait()
        connection.close()
        try:
            with page_cache.one_builder(key, reads=Event):
                connected_inside.append(connection.connection is not None)
                if not built:
                    time.sleep(0.1)  # the other threads arrive while this one builds
                    built.append(threading.current_thread().name)
        finally:
            connection.close()

    threads = [threading.Thread(target=builder) for _index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert connected_inside == [True, True, True, True]
