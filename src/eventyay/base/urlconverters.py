"""URL converters of the core.

``<organizer:organizer>`` matches an organizer slug at the start of a public URL. It refuses the
reserved slugs (:data:`~eventyay.base.validators.RESERVED_SLUGS`), which no organizer can have:
``/api/...`` and ``/control/...`` then fail at the first segment of every public and plugin
event pattern instead of being tried against each of them (about 150 patterns per API request).
"""

from __future__ import annotations

import re

from django.urls import register_converter
from django.urls.converters import SlugConverter

from eventyay.base.validators import RESERVED_SLUGS


class OrganizerSlugConverter(SlugConverter):
    regex = "(?!(?i:{})/)[-a-zA-Z0-9_]+".format(
        "|".join(sorted(re.escape(slug) for slug in RESERVED_SLUGS if re.fullmatch(r"[-a-zA-Z0-9_]+", slug)))
    )


def register_converters() -> None:
    register_converter(OrganizerSlugConverter, "organizer")
