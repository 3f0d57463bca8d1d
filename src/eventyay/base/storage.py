"""Public and private file storage, and serving private files to whoever may see them.

eventyay keeps uploaded and generated files in two storages:

* the **public** storage (Django's ``default_storage``, ``<data dir>/media`` at ``MEDIA_URL``)
  for files anyone may fetch without logging in: logos, header images, speaker pictures;
* the **private** storage (:data:`private_storage`, ``<data dir>/private``, outside the media
  root) for invoices, tickets, uploaded answers and proposals, exports. It has no URL; its
  files are only handed out by views that checked who is asking, through
  :func:`serve_private_file`.

Files in either storage get unguessable names from :class:`UnguessableName`, so knowing one
file's name tells nothing about another's.
"""

from __future__ import annotations

import re
import secrets
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject
from django.utils.http import content_disposition_header

#: Extensions kept on unguessable names, so downloads and mail clients recognise the file type.
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")


class PrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT`` that no URL leads to."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("location", settings.PRIVATE_MEDIA_ROOT)
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; serve them from a view with serve_private_file().")


def get_private_storage() -> Storage:
    """The private storage (``STORAGES["private"]``); pass it as a file field's ``storage``.

    Model fields take this function rather than the storage itself, so migrations refer to it
    by name and tests may swap the storage with ``override_settings(STORAGES=...)``.
    """
    return storages["private"]


class _PrivateStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["private"]


#: The private storage, for code that reads and writes files directly.
private_storage: Storage = _PrivateStorage()  # type: ignore[assignment]


def unguessable_name(prefix: str, filename: str = "") -> str:
    """``<prefix>/<random>.<ext>``: a storage name that reveals nothing and cannot be guessed.

    Only a short alphanumeric extension of ``filename`` is kept; the original name belongs in
    the database (and in the download's ``filename``), never in the path.
    """
    extension = PurePosixPath(filename).suffix.lower()
    if not _EXTENSION.match(extension):
        extension = ""
    return f"{prefix.strip('/')}/{secrets.token_urlsafe(24)}{extension}"


@deconstructible
class UnguessableName:
    """A file field's ``upload_to`` that stores files as ``<prefix>/<random>.<ext>``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, instance: Any, filename: str) -> str:
        return unguessable_name(self.prefix, filename)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnguessableName) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


def serve_private_file(
    request: HttpRequest,
    name: str,
    *,
    filename: str,
    content_type: str | None = None,
    as_attachment: bool = True,
) -> HttpResponseBase:
    """Answer ``request`` with the private file ``name``; the caller has checked permission.

    With ``EVENTYAY_PRIVATE_X_ACCEL`` set, nginx sends the file from its ``internal`` location
    (``PRIVATE_X_ACCEL_LOCATION``) and the worker is free at once; otherwise the file is
    streamed from the storage. ``filename`` is what the browser saves it as. A missing file
    answers 404.
    """
    if not name or not private_storage.exists(name):
        raise Http404()
    if settings.PRIVATE_X_ACCEL:
        response: HttpResponseBase = HttpResponse(content_type=content_type or "application/octet-stream")
        response["X-Accel-Redirect"] = settings.PRIVATE_X_ACCEL_LOCATION + quote(name)
        disposition = content_disposition_header(as_attachment, filename)
        if disposition:
            response["Content-Disposition"] = disposition
    else:
        response = FileResponse(
            private_storage.open(name, "rb"),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    # Private documents must not end up in shared caches between the browser and eventyay.
    response["Cache-Control"] = "private, no-store"
    return response
