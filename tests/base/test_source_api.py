"""Reading a source's REST API: pages, retries, 429, size cap, where the token goes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.test import override_settings

from eventyay.base.services import source_api
from eventyay.base.services.source_api import SourceAPI, SourceAPIError
from eventyay.testing.source_server import FakeSource, fake_source


def write(root: Path, relative: str, data: object) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())


@pytest.fixture
def source(tmp_path: Path) -> Iterator[FakeSource]:
    write(
        tmp_path,
        "api/v1/items/index.json",
        {"count": 3, "next": "http://source.invalid/api/v1/items/?page=2", "results": [{"id": 1}, {"id": 2}]},
    )
    write(tmp_path, "api/v1/items/index@page=2.json", {"count": 3, "next": None, "results": [{"id": 3}]})
    write(tmp_path, "api/v1/plain/index.json", [{"id": "a"}])
    write(tmp_path, "api/v1/me/index.json", {"name": "me"})
    write(tmp_path, "api/v1/file.pdf", b"%PDF-1.4 bytes")
    write(tmp_path, "api/v1/html/index.json", b"<html>")
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True), fake_source(tmp_path, token="s3cret") as fake:
        yield fake


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(source: FakeSource, sleeps: Sleeps | None = None, **kwargs: object) -> SourceAPI:
    return SourceAPI(
        source.url("/api/v1"), "s3cret", sleep=sleeps if sleeps is not None else Sleeps(), **kwargs
    )  # type: ignore[arg-type]


def test_iter_results_follows_next_pages_with_the_token(source: FakeSource) -> None:
    assert [item["id"] for item in client(source).iter_results("items/")] == [1, 2, 3]
    assert [(r.path, r.query) for r in source.requests] == [
        ("/api/v1/items/", ""),
        ("/api/v1/items/", "page=2"),
    ]
    assert all(r.authorization == "Token s3cret" for r in source.requests)


def test_iter_results_accepts_an_unpaginated_list(source: FakeSource) -> None:
    assert list(client(source).iter_results("plain/")) == [{"id": "a"}]


def test_get_adds_params_and_get_bytes_reads_files(source: FakeSource) -> None:
    api = client(source)
    assert api.get("/items/", {"page": "2"})["results"] == [{"id": 3}]
    assert api.get_bytes("file.pdf") == b"%PDF-1.4 bytes"


def test_429_waits_as_long_as_retry_after_says(source: FakeSource) -> None:
    source.fail("/api/v1/me/", 429, headers={"Retry-After": "7"})
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    source.fail("/api/v1/me/", 429, headers={"Retry-After": later})
    sleeps = Sleeps()
    assert client(source, sleeps).get("me/") == {"name": "me"}
    assert sleeps[0] == 7
    assert 25 < sleeps[1] <= 30


def test_a_retry_after_beyond_the_limit_is_an_error(source: FakeSource) -> None:
    source.fail("/api/v1/me/", 429, headers={"Retry-After": "3600"})
    with pytest.raises(SourceAPIError, match="3600") as caught:
        client(source).get("me/")
    assert caught.value.status == 429


def test_5xx_is_retried_with_exponential_backoff(source: FakeSource) -> None:
    source.fail("/api/v1/me/", 503, times=3)
    sleeps = Sleeps()
    assert client(source, sleeps).get("me/") == {"name": "me"}
    assert sleeps == [1.0, 2.0, 4.0]


def test_retries_end_with_an_error_naming_the_problem(source: FakeSource) -> None:
    source.fail("/api/v1/me/", 502, times=10)
    with pytest.raises(SourceAPIError, match="HTTP 502") as caught:
        client(source, max_retries=2).get("me/")
    assert caught.value.status == 502
    assert caught.value.url == source.url("/api/v1/me/")
    assert len(source.requests) == 3


def test_connection_errors_are_retried(tmp_path: Path) -> None:
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True), fake_source(tmp_path) as fake:
        fake.stop()
        sleeps = Sleeps()
        with pytest.raises(SourceAPIError, match="Gave up after 3 attempts"):
            SourceAPI(fake.url("/"), "t", sleep=sleeps, max_retries=2).get("x/")
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize(("token", "status", "message"), [("wrong", 401, "token"), ("s3cret", 404, "404")])
def test_client_errors_are_not_retried(source: FakeSource, token: str, status: int, message: str) -> None:
    with pytest.raises(SourceAPIError, match=message) as caught:
        SourceAPI(source.url("/api/v1/"), token, sleep=Sleeps()).get("missing/")
    assert caught.value.status == status
    assert "s3cret" not in str(caught.value)
    assert len(source.requests) == 1


def test_a_next_page_on_another_host_is_refused(source: FakeSource, tmp_path: Path) -> None:
    write(
        source.root,
        "api/v1/evil/index.json",
        {"count": 2, "next": "http://attacker.example/steal", "results": [{"id": 1}]},
    )
    results = client(source).iter_results("evil/")
    assert next(results) == {"id": 1}
    with pytest.raises(SourceAPIError, match="another host"):
        next(results)


def test_the_token_is_only_sent_to_the_source(source: FakeSource, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    write(tmp_path / "other", "avatar.png", b"png")
    with fake_source(tmp_path / "other") as other:
        assert client(source).get_bytes(other.url("/avatar.png")) == b"png"
    assert other.requests[0].authorization is None


def test_private_addresses_need_the_instance_setting(source: FakeSource) -> None:
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=False), pytest.raises(SourceAPIError, match="private"):
        client(source).get("me/")


def test_answers_that_are_not_json_or_too_large_are_errors(
    source: FakeSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SourceAPIError, match="JSON"):
        client(source).get("html/")
    monkeypatch.setattr(source_api, "MAX_JSON_BYTES", 4)
    with pytest.raises(SourceAPIError, match="larger"):
        client(source).get("me/")


def test_a_url_without_scheme_is_refused() -> None:
    with pytest.raises(SourceAPIError, match="http"):
        SourceAPI("pretix.example/api/v1/", "t")


def test_repr_hides_the_token(source: FakeSource) -> None:
    assert "s3cret" not in repr(client(source))


def test_hyphenated_commands_run_their_underscored_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import django.core.management

    from eventyay import __main__

    seen: list[list[str]] = []
    monkeypatch.setattr(
        django.core.management, "execute_from_command_line", lambda argv: seen.append(list(argv))
    )
    monkeypatch.setattr(sys, "argv", ["eventyay", "import-pretix", "--dry-run"])
    __main__.main()
    monkeypatch.setattr(sys, "argv", ["eventyay", "--help"])
    __main__.main()
    assert seen == [["eventyay", "import_pretix", "--dry-run"], ["eventyay", "--help"]]
