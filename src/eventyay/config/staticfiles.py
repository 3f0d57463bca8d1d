"""Static files served by the app server itself (WhiteNoise), including compressed bundles.

django-compressor writes a bundle into ``STATIC_ROOT/CACHE/`` the first time a page needs it,
which is after WhiteNoise indexed ``STATIC_ROOT`` at start-up. Without autorefresh (slow, meant
for development) WhiteNoise would answer 404 for those bundles, so this middleware adds a
bundle to its index when it is first asked for. Bundle names carry a hash of their content, so
an indexed bundle never changes and browsers may cache it for good.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware


class WhiteNoiseMiddleware(BaseWhiteNoiseMiddleware):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        output_dir = getattr(settings, "COMPRESS_OUTPUT_DIR", "CACHE").strip("/")
        self.bundle_root = os.path.join(os.path.abspath(settings.COMPRESS_ROOT), output_dir)
        static_path = urlsplit(settings.STATIC_URL).path.strip("/")
        self.bundle_prefix = f"/{static_path}/{output_dir}/" if static_path else f"/{output_dir}/"
        super().__init__(*args, **kwargs)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        url = request.path_info
        if not self.autorefresh and url.startswith(self.bundle_prefix) and url not in self.files:
            self.add_bundle(url)
        return super().__call__(request)

    def add_bundle(self, url: str) -> None:
        if not self.url_is_canonical(url):
            return
        path = os.path.join(self.bundle_root, url[len(self.bundle_prefix) :])
        if os.path.isfile(path) and self.path_is_child_of(path, self.bundle_root + os.path.sep):
            self.add_file_to_dictionary(url, path)

    def immutable_file_test(self, path: str, url: str) -> bool:
        return url.startswith(self.bundle_prefix) or super().immutable_file_test(path, url)
