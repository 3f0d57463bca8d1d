"""The plugin's pages, navigation and API exist only for organizers that switched it on."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope
from rest_framework.test import APIClient

from eventyay.base.models import User
from eventyay.base.services.organizer_plugins import organizer_plugins_update
from eventyay.base.services.organizers import organizer_create
from eventyay.base.services.teams import token_create

pytestmark = pytest.mark.django_db

PAGES = (
    "/control/organizer/plain/contacts/",
    "/control/organizer/plain/contacts/campaigns/",
    "/control/organizer/plain/contacts/segments/",
    "/control/organizer/plain/automation/",
    "/control/organizer/plain/analytics/campaigns/",
    "/_signup/plain/",
)
API = (
    "/api/v1/organizers/plain/contacts/",
    "/api/v1/organizers/plain/campaigns/",
    "/api/v1/organizers/plain/analytics/campaigns/",
)


@pytest.fixture
def plain() -> tuple[Any, Any]:
    """An organizer without the plugin, and its administrator."""
    owner = User.objects.create_user("owner@example.net", "plain horse battery")
    return organizer_create(name="Plain Org", slug="plain", creator=owner), owner


def test_pages_nav_and_api_only_where_switched_on(client_for: Any, plain: tuple[Any, Any]) -> None:
    organizer, owner = plain
    client = client_for(owner)
    with scope(organizer=organizer):
        _token, secret = token_create(team=organizer.teams.get(), name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    def seen() -> tuple[list[int], list[int], bool]:
        nav = client.get("/control/organizer/plain/").content.decode()
        return (
            [client.get(url).status_code for url in PAGES],
            [api.get(url).status_code for url in API],
            "/control/organizer/plain/contacts/" in nav,
        )

    assert seen() == ([404] * len(PAGES), [404] * len(API), False)
    assert (
        client.post("/control/organizer/plain/contacts/add/", {"email": "a@example.org"}).status_code == 404
    )
    assert api.post("/api/v1/organizers/plain/contacts/", {"email": "a@example.org"}).status_code == 404
    assert api.get(API[0]).json() == {"detail": "Not found."}

    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=["campaigns"], is_admin=True)
    assert seen() == ([200] * len(PAGES), [200] * len(API), True)

    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, disable=["campaigns"])
    assert seen() == ([404] * len(PAGES), [404] * len(API), False)
