"""Public URLs start with an organizer slug that can never be a reserved one."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, Resolver404, URLResolver, resolve, reverse

from eventyay.base.plugins.urls import EVENT_PREFIX
from eventyay.base.validators import RESERVED_SLUGS

SLUG_LIKE = sorted(slug for slug in RESERVED_SLUGS if slug.replace("_", "").replace("-", "").isalnum())


def _public_event_page(path: str) -> bool:
    try:
        return resolve(path).url_name == "event.index"
    except Resolver404:
        return False


def test_an_ordinary_organizer_still_has_its_pages():
    assert resolve("/example/conf/").url_name == "event.index"
    assert resolve("/example/").url_name == "organizer.index"
    assert (
        reverse("public:event.index", kwargs={"organizer": "api-fans", "event": "conf"}) == "/api-fans/conf/"
    )


@pytest.mark.parametrize("slug", SLUG_LIKE)
def test_a_reserved_slug_is_no_organizer(slug):
    assert not _public_event_page(f"/{slug}/conf/")
    assert not _public_event_page(f"/{slug.upper()}/conf/")
    with pytest.raises(NoReverseMatch):
        reverse("public:event.index", kwargs={"organizer": slug, "event": "conf"})


def test_an_api_request_is_not_tried_against_the_event_pages_of_every_plugin():
    match = resolve("/api/v1/organizers/example/events/conf/orders/")
    assert match.url_name == "order-list"
    entered = [
        tried
        for tried in match.tried
        if any(
            isinstance(pattern, URLResolver)
            and str(pattern.pattern) == EVENT_PREFIX
            and pattern is not tried[-1]
            for pattern in tried
        )
    ]
    assert entered == []
