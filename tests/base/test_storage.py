"""Public and private storage: unguessable names, no URL for private files, authorised serving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import RequestFactory, override_settings

from eventyay.base.storage import UnguessableName, private_storage, serve_private_file, unguessable_name


@pytest.fixture
def private_file() -> Iterator[str]:
    name = private_storage.save(unguessable_name("tests/private", "report.pdf"), ContentFile(b"%PDF secret"))
    yield name
    private_storage.delete(name)


def test_unguessable_names_keep_only_a_short_extension() -> None:
    first = unguessable_name("tickets/invoices/", "ACME-00001.PDF")
    second = unguessable_name("tickets/invoices", "ACME-00001.pdf")
    assert first.startswith("tickets/invoices/") and first.endswith(".pdf")
    assert first != second
    assert "ACME" not in first
    assert unguessable_name("talk/answers", "../../etc/passwd").count("/") == 2
    assert not unguessable_name("talk/answers", "slides.tar.gz<script>").endswith(">")
    assert UnguessableName("a")(None, "x.png").startswith("a/")
    assert UnguessableName("a") == UnguessableName("a")


def test_private_root_is_outside_the_public_media_root(private_file: str) -> None:
    path = Path(private_storage.path(private_file)).resolve()
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    with pytest.raises(ValueError):
        private_storage.url(private_file)


@pytest.mark.django_db
def test_media_url_serves_public_files_but_never_private_ones(client, private_file: str) -> None:
    public = default_storage.save(unguessable_name("tests/public", "logo.png"), ContentFile(b"png"))
    try:
        response = client.get(f"/media/{public}")
        assert response.status_code == 200
        assert "sandbox" in response["Content-Security-Policy"]
        assert client.get(f"/media/{private_file}").status_code == 404
        assert client.get(f"/media/../private/{private_file}").status_code in (400, 404)
    finally:
        default_storage.delete(public)


def test_serve_private_file_streams_it(private_file: str) -> None:
    response = serve_private_file(
        RequestFactory().get("/"), private_file, filename="Invoice 1.pdf", content_type="application/pdf"
    )
    assert b"".join(response.streaming_content) == b"%PDF secret"  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Invoice 1.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "X-Accel-Redirect" not in response


@override_settings(PRIVATE_X_ACCEL=True)
def test_serve_private_file_hands_off_to_nginx(private_file: str) -> None:
    response = serve_private_file(RequestFactory().get("/"), private_file, filename="ä.pdf")
    assert response["X-Accel-Redirect"] == f"/_private/{private_file}"
    assert response.content == b""
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%C3%A4.pdf"


def test_serve_private_file_answers_404_for_missing_files() -> None:
    with pytest.raises(Http404):
        serve_private_file(RequestFactory().get("/"), "tests/private/missing.pdf", filename="x.pdf")
    with pytest.raises(Http404):
        serve_private_file(RequestFactory().get("/"), "", filename="x.pdf")
