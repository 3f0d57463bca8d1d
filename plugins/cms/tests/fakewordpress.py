"""A WordPress REST API (``/wp-json/wp/v2/``) in-process, as far as the connector uses it.

It imitates what the connector relies on: ``X-WP-Total``/``X-WP-TotalPages`` paging (at most
100 per page, 400 past the last page), ``modified_after`` (strictly after, second resolution),
``orderby=modified&order=asc``, ``_fields``, ``slug`` lookups, application-password Basic auth
(spaces in the password ignored; reads of published content need none, writes and
``users/me`` do), and create, update and delete of pages and posts. Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

COLLECTIONS = ("pages", "posts")
PREFIX = "/wp-json/wp/v2/"


class FakeWordPress:
    def __init__(self, username: str = "editor", app_password: str = "abcd EFGH ijkl MNOP qrst UVWX") -> None:
        self.username = username
        self.app_password = app_password.replace(" ", "")
        self.items: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in COLLECTIONS}
        self.requests: list[dict[str, Any]] = []
        self.next_id = 1
        self.clock = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeWordPress:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the editor's side -------------------------------------------------------------------

    def tick(self, seconds: int = 60) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def add(self, collection: str, title: str, content: str = "", slug: str | None = None) -> int:
        with self.lock:
            number = self.next_id
            self.next_id += 1
            self.items[collection][number] = {
                "id": number,
                "slug": slug or title.lower().replace(" ", "-"),
                "title": {"rendered": title},
                "content": {"rendered": content, "protected": False},
                "modified_gmt": self.tick().strftime("%Y-%m-%dT%H:%M:%S"),
                "status": "publish",
            }
            return number

    def edit(self, collection: str, number: int, **changes: str) -> None:
        with self.lock:
            item = self.items[collection][number]
            if "title" in changes:
                item["title"] = {"rendered": changes["title"]}
            if "content" in changes:
                item["content"] = {"rendered": changes["content"], "protected": False}
            item["modified_gmt"] = self.tick().strftime("%Y-%m-%dT%H:%M:%S")

    def remove(self, collection: str, number: int) -> None:
        with self.lock:
            del self.items[collection][number]

    def by_slug(self, collection: str, slug: str) -> list[dict[str, Any]]:
        return [item for item in self.items[collection].values() if item["slug"] == slug]

    def reads(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "GET" and r["path"] == PREFIX + path]

    # --- the server --------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool | None:
                """True: right credentials; False: wrong ones; None: none given."""
                header = self.headers.get("Authorization", "")
                if not header:
                    return None
                try:
                    user, _sep, password = (
                        base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
                    )
                except ValueError:
                    return False
                return user == fake.username and password.replace(" ", "") == fake.app_password

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                auth = self._authorized()
                fake.requests.append(
                    {"method": method, "path": parts.path, "query": query, "body": body, "auth": auth}
                )
                if auth is False:
                    return self._send(401, {"code": "invalid_username", "message": "Unknown username."})
                if not parts.path.startswith(PREFIX):
                    return self._send(404, {"code": "rest_no_route"})
                route = parts.path[len(PREFIX) :].strip("/").split("/")
                if route == ["users", "me"]:
                    if not auth:
                        return self._send(401, {"code": "rest_not_logged_in"})
                    return self._send(200, {"id": 1, "name": "Editor"})
                if route[0] not in COLLECTIONS or len(route) > 2:
                    return self._send(404, {"code": "rest_no_route"})
                with fake.lock:
                    if len(route) == 1 and method == "GET":
                        return self._list(route[0], query)
                    if len(route) == 1 and method == "POST":
                        return self._write(route[0], None, body, auth)
                    number = int(route[1])
                    item = fake.items[route[0]].get(number)
                    if item is None:
                        return self._send(404, {"code": "rest_post_invalid_id"})
                    if method == "GET":
                        return self._send(200, self._fields(item, query))
                    if method == "POST":
                        return self._write(route[0], number, body, auth)
                    if method == "DELETE":
                        if not auth:
                            return self._send(401, {"code": "rest_cannot_delete"})
                        del fake.items[route[0]][number]
                        return self._send(200, {"deleted": True, "previous": item})
                return self._send(405, {"code": "rest_no_route"})

            def _fields(self, item: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
                if "_fields" not in query:
                    return dict(item)
                wanted = set(query["_fields"].split(","))
                return {key: value for key, value in item.items() if key in wanted}

            def _list(self, collection: str, query: dict[str, str]) -> None:
                rows = list(fake.items[collection].values())
                if "modified_after" in query:
                    after = datetime.fromisoformat(query["modified_after"]).replace(tzinfo=UTC)
                    rows = [
                        r
                        for r in rows
                        if datetime.fromisoformat(r["modified_gmt"]).replace(tzinfo=UTC) > after
                    ]
                if "slug" in query:
                    rows = [r for r in rows if r["slug"] == query["slug"]]
                if query.get("orderby") == "modified":
                    rows.sort(key=lambda r: (r["modified_gmt"], r["id"]), reverse=query.get("order") != "asc")
                else:
                    rows.sort(key=lambda r: r["id"], reverse=True)
                per_page = int(query.get("per_page", 10))
                if per_page > 100:
                    return self._send(400, {"code": "rest_invalid_param"})
                page = int(query.get("page", 1))
                pages = max(1, -(-len(rows) // per_page))
                if page > pages:
                    return self._send(400, {"code": "rest_post_invalid_page_number"})
                chunk = rows[(page - 1) * per_page : page * per_page]
                headers = {"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(pages)}
                return self._send(200, [self._fields(r, query) for r in chunk], headers)

            def _write(
                self, collection: str, number: int | None, body: dict[str, Any], auth: bool | None
            ) -> None:
                if not auth:
                    return self._send(401, {"code": "rest_cannot_create"})
                if number is None:
                    number = fake.next_id
                    fake.next_id += 1
                    fake.items[collection][number] = {"id": number, "status": "publish"}
                    status = 201
                else:
                    status = 200
                item = fake.items[collection][number]
                if "title" in body:
                    item["title"] = {"rendered": body["title"]}
                if "content" in body:
                    item["content"] = {"rendered": body["content"], "protected": False}
                if "slug" in body:
                    item["slug"] = body["slug"]
                item["status"] = body.get("status", item["status"])
                item["modified_gmt"] = fake.tick(1).strftime("%Y-%m-%dT%H:%M:%S")
                return self._send(status, item)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler
