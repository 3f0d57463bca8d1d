"""Pulling from WordPress (the in-process fake and a real one): paging, cursor, hashes, sanitising,
reconciliation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from django_scopes import scope
from eventyay_cms.connectors import wordpress as wordpress_connector
from eventyay_cms.models import Connection, PulledPage
from eventyay_cms.services import pull as pull_service

from .conftest import APP_PASSWORD
from .fakewordpress import FakeWordPress


@pytest.fixture
def wordpress(contract_wordpress: Any) -> Any:
    """Each test runs against the in-process fake and against a real WordPress."""
    return contract_wordpress


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    """Five items per request, so that a few items span several pages."""
    monkeypatch.setattr(wordpress_connector, "PER_PAGE", 5)
    return 5


def _pull(connection: Any) -> pull_service.PullResult:
    with scope(organizer=connection.event.organizer):
        connection.refresh_from_db()
        return pull_service.pull(connection)


def _pages(connection: Any) -> dict[str, PulledPage]:
    with scope(organizer=connection.event.organizer):
        return {page.external_id: page for page in PulledPage.objects.filter(connection=connection)}


def test_first_pull_follows_the_total_pages_header_in_ascending_modified_order(
    wordpress, wp_connection, small_pages
):
    for number in range(13):
        wordpress.add("posts", f"Post {number}", f"<p>Body {number}</p>")
    wordpress.add("pages", "Venue", "<p>Hall 1</p>")

    result = _pull(wp_connection)

    assert (result.created, result.updated, result.unchanged) == (14, 0, 0)
    reads = wordpress.reads("posts")
    assert [r["query"]["page"] for r in reads] == ["1", "2", "3"]
    assert all(r["query"]["per_page"] == "5" and r["query"]["orderby"] == "modified" for r in reads)
    assert all(r["query"]["order"] == "asc" and "modified_after" not in r["query"] for r in reads)
    assert set(reads[0]["query"]["_fields"].split(",")) >= {"id", "slug", "title", "content", "modified_gmt"}
    pages = _pages(wp_connection)
    venue = next(page for page in pages.values() if page.kind == "page")
    # WordPress's content filters end a paragraph with a line break; the fake does not.
    assert (venue.title, venue.slug, venue.html.strip()) == ("Venue", "venue", "<p>Hall 1</p>")
    wp_connection.refresh_from_db()
    newest_post = max(item["modified_gmt"] for item in wordpress.items["posts"].values())
    assert wp_connection.cursor["post"].startswith(newest_post)


def test_next_pull_asks_from_the_cursor_minus_the_overlap_and_skips_unchanged(wordpress, wp_connection):
    first = wordpress.add("posts", "First", "<p>one</p>")
    wordpress.add("posts", "Second", "<p>two</p>")
    _pull(wp_connection)
    wp_connection.refresh_from_db()
    cursor = datetime.fromisoformat(wp_connection.cursor["post"])
    wordpress.requests.clear()
    wordpress.edit("posts", first, content="<p>one, edited</p>")

    result = _pull(wp_connection)

    (read,) = wordpress.reads("posts")
    asked = datetime.fromisoformat(read["query"]["modified_after"] + "+00:00")
    assert asked == cursor - pull_service_overlap()
    assert (result.created, result.updated) == (0, 1)
    assert _pages(wp_connection)[f"post:{first}"].html.strip() == "<p>one, edited</p>"
    # Both items lie inside the overlap: they come again and are skipped by their content hash.
    wordpress.requests.clear()
    again = _pull(wp_connection)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def pull_service_overlap() -> Any:
    from eventyay_cms.connectors.wordpress import OVERLAP

    return OVERLAP


def test_cursor_moves_only_after_its_batch_committed(wordpress, wp_connection, small_pages, monkeypatch):
    for number in range(12):
        wordpress.add("posts", f"Post {number}")
    real_store = pull_service._store
    calls = []

    def store_failing_on_the_second_batch(connection: Any, items: Any, result: Any) -> None:
        calls.append(len(items))
        real_store(connection, items, result)
        if len(calls) == 2:
            raise RuntimeError("worker died")

    monkeypatch.setattr(pull_service, "_store", store_failing_on_the_second_batch)
    with pytest.raises(RuntimeError):
        _pull(wp_connection)

    wp_connection.refresh_from_db()
    ordered = sorted(wordpress.items["posts"].values(), key=lambda item: (item["modified_gmt"], item["id"]))
    assert wp_connection.cursor["post"].startswith(ordered[4]["modified_gmt"])
    assert len(_pages(wp_connection)) == 5  # the second batch rolled back as a whole
    monkeypatch.setattr(pull_service, "_store", real_store)
    resumed = _pull(wp_connection)
    assert len(_pages(wp_connection)) == 12 and resumed.created == 7


def test_hostile_html_is_sanitised_and_served_only_as_clean_markup(wordpress, wp_connection, client):
    wordpress.add(
        "pages",
        "Travel <b>info</b>",
        '<p onclick="steal()">Trains<script>alert(1)</script></p>'
        '<a href="javascript:alert(2)">x</a><img src="https://cdn.example.org/map.png" onerror="bad()">'
        '<iframe src="https://evil.example.org"></iframe><style>body{display:none}</style>',
        slug="travel",
    )
    _pull(wp_connection)
    page = next(iter(_pages(wp_connection).values()))
    assert page.title == "Travel info"
    for bad in ("script", "onclick", "javascript:", "onerror", "iframe", "style", "alert"):
        assert bad not in page.html
    assert '<img src="https://cdn.example.org/map.png">' in page.html  # referenced, not copied

    response = client.get("/example/cmsconf/p/travel/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Trains" in body and "steal()" not in body and "<script>alert" not in body


def test_reconciliation_unpublishes_what_was_deleted_at_the_source(wordpress, wp_connection, client):
    keep = wordpress.add("pages", "Keep", "<p>k</p>", slug="keep")
    gone = wordpress.add("pages", "Gone", "<p>g</p>", slug="gone")
    _pull(wp_connection)
    assert client.get("/example/cmsconf/p/gone/").status_code == 200
    wordpress.remove("pages", gone)

    # A deletion is no change the incremental pull sees.
    _pull(wp_connection)
    assert _pages(wp_connection)[f"page:{gone}"].published
    with scope(organizer=wp_connection.event.organizer):
        assert pull_service.reconcile(wp_connection) == 1

    pages = _pages(wp_connection)
    assert not pages[f"page:{gone}"].published and pages[f"page:{keep}"].published
    assert client.get("/example/cmsconf/p/gone/").status_code == 404
    assert client.get("/example/cmsconf/p/keep/").status_code == 200
    wp_connection.refresh_from_db()
    assert wp_connection.last_reconciled is not None


def test_pages_placed_in_the_navigation_show_on_the_event_page(
    wordpress, wp_connection, client, admin_team, user
):
    wordpress.add("pages", "Venue", "<p>v</p>", slug="venue")
    wordpress.add("pages", "Hidden", "<p>h</p>", slug="hidden")
    _pull(wp_connection)
    assert "/example/cmsconf/p/venue/" not in client.get("/example/cmsconf/").content.decode()
    venue = next(page for page in _pages(wp_connection).values() if page.slug == "venue")

    client.force_login(user)
    response = client.post(
        f"/control/event/example/cmsconf/cms/{wp_connection.pk}/", {"nav": [str(venue.pk)]}
    )
    assert response.status_code == 302
    client.logout()
    body = client.get("/example/cmsconf/").content.decode()
    assert "/example/cmsconf/p/venue/" in body and "/example/cmsconf/p/hidden/" not in body
    # The entry is in the navigation bar of every public page, marked on the page itself.
    page_body = client.get("/example/cmsconf/p/venue/").content.decode()
    assert '<a href="/example/cmsconf/p/venue/" aria-current="page">' in page_body


def test_wrong_application_password_is_an_error_without_the_password(wordpress, make_connection, caplog):
    connection = make_connection(
        type="wordpress",
        base_url=wordpress.url,
        username="editor",
        password="wrong pass word",
        pull=["pages"],
    )
    from eventyay_cms.connectors.base import ConnectorError
    from eventyay_cms.services.sync import sync_run

    with scope(organizer=connection.event.organizer), pytest.raises(ConnectorError):
        sync_run(connection)
    wordpress.add("pages", "x")
    connection.refresh_from_db()
    assert "application password" in connection.last_error
    assert "wrong pass word" not in connection.last_error and "wrong pass word" not in caplog.text
    with scope(organizer=connection.event.organizer):
        assert Connection.objects.get(pk=connection.pk).password.startswith("enc1:")


@pytest.fixture
def plain_permalinks() -> Iterator[tuple[FakeWordPress, str, list[str]]]:
    """The fake behind a site without pretty permalinks: ``/wp-json/`` is its front page (HTML),
    the API answers at ``/?rest_route=``. Yields the fake, the site's URL and the paths asked."""
    fake = FakeWordPress(app_password=APP_PASSWORD).start()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            asked.append(self.path)
            parts = urlsplit(self.path)
            query = parse_qsl(parts.query, keep_blank_values=True)
            route = dict(query).get("rest_route")
            if parts.path != "/" or not route:
                return self._send(200, b"<html><body>Front page</body></html>", {"Content-Type": "text/html"})
            rest = urlencode([(key, value) for key, value in query if key != "rest_route"])
            length = int(self.headers.get("Content-Length") or 0)
            upstream = requests.request(
                self.command,
                fake.url + "/wp-json" + route + ("?" + rest if rest else ""),
                data=self.rfile.read(length) if length else None,
                headers={
                    name: self.headers[name]
                    for name in ("Authorization", "Content-Type")
                    if self.headers[name]
                },
                timeout=30,
            )
            headers = {
                name: upstream.headers[name]
                for name in ("Content-Type", "X-WP-Total", "X-WP-TotalPages")
                if name in upstream.headers
            }
            return self._send(upstream.status_code, upstream.content, headers)

        do_GET = do_POST = do_DELETE = _handle

    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{site.server_address[1]}", asked
    site.shutdown()
    site.server_close()
    fake.stop()


def test_a_site_without_pretty_permalinks_is_asked_at_rest_route(plain_permalinks, make_connection):
    fake, url, asked = plain_permalinks
    fake.add("pages", "Venue", "<p>Hall</p>", slug="venue")
    connection = make_connection(
        type="wordpress", base_url=url, username="editor", password=APP_PASSWORD, pull=["pages"]
    )

    assert _pull(connection).created == 1

    # /wp-json/ answered with the front page once; the same request went to ?rest_route=.
    assert [path for path in asked if path.startswith("/wp-json/")] == [asked[0]]
    assert asked[1].startswith("/?rest_route=%2Fwp%2Fv2%2Fpages&") and "per_page=100" in asked[1]
    assert fake.requests[-1]["auth"] is True
    assert _pages(connection)["page:1"].title == "Venue"
    # The site is remembered: the next sync asks at ?rest_route= only.
    asked.clear()
    fake.edit("pages", 1, content="<p>Hall 2</p>")
    assert _pull(connection).updated == 1
    assert asked and all(path.startswith("/?rest_route=") for path in asked)
