"""The online venue is reachable from the event page, and its page explains how to get in
to a visitor without a personal link instead of showing an empty room list."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from eventyay.base.plugins import installed_plugins

pytestmark = pytest.mark.django_db


def _venue(event) -> str:
    return reverse(
        "plugins:video:video.index", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )


def test_event_page_links_to_the_venue(make_event) -> None:
    event = make_event(slug="online", plugins=["video"])
    page = Client().get(f"/{event.organizer.slug}/{event.slug}/").content.decode()
    assert 'id="video-venue"' in page and f'href="{_venue(event)}"' in page
    assert "Go to the online venue" in page


@pytest.mark.skipif("tickets" not in installed_plugins(), reason="needs the tickets plugin")
def test_venue_without_a_link_explains_access_and_offers_tickets(make_event) -> None:
    event = make_event(slug="hybrid", plugins=["tickets", "video"])
    html = Client().get(_venue(event)).content.decode()
    assert "How to enter the online venue" in html and "order confirmation mail" in html
    shop = reverse("plugins:tickets:shop", kwargs={"organizer": event.organizer.slug, "event": event.slug})
    assert re.search(rf'<a class="btn btn-primary" href="{re.escape(shop)}">Buy a ticket</a>', html)
    # The (script-filled) rooms stay hidden until a personal link is there.
    assert re.search(r'<div class="row" id="video-venue" hidden>', html)


def test_venue_without_tickets_does_not_offer_a_shop(make_event) -> None:
    event = make_event(slug="online", plugins=["video"])
    html = Client().get(_venue(event)).content.decode()
    assert "How to enter the online venue" in html and "Buy a ticket" not in html


def test_hidden_event_venue_is_not_found(make_event, other_organizer) -> None:
    event = make_event(slug="secret", plugins=["video"], live=False)
    client = Client()
    client.force_login(other_organizer.member)
    assert client.get(_venue(event)).status_code == 404
