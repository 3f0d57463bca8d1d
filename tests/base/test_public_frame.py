"""The public frame: front page, organizer page, header, navigation hook, languages, footer,
error pages and the favicon."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from eventyay.base.plugins import PublicNavItem
from eventyay.base.selectors.public import DEFAULT_BRAND_COLOR, contrast_color
from eventyay.testing.plugin import register_temporarily

PAST = {
    "date_from": dt.datetime(2020, 3, 1, 9, tzinfo=dt.UTC),
    "date_to": dt.datetime(2020, 3, 2, 17, tzinfo=dt.UTC),
}


@pytest.mark.django_db
def test_front_page_lists_upcoming_public_events_of_all_organizers(client, make_event, other_organizer):
    make_event(slug="soon")
    make_event(slug="draft", live=False)
    make_event(slug="unlisted", is_public=False)
    make_event(slug="over", **PAST)
    response = client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Conference soon" in content
    assert "Conference draft" not in content
    assert "Conference unlisted" not in content
    assert "Conference over" not in content
    assert reverse("public:organizer.index", kwargs={"organizer": "example"}) in content


@pytest.mark.django_db
def test_front_page_queries_do_not_grow_with_events(client, make_event, django_assert_max_num_queries):
    make_event(slug="one")
    client.get("/")
    with django_assert_max_num_queries(4) as captured:
        client.get("/")
    single = len(captured)
    for slug in ("two", "three", "four"):
        make_event(slug=slug)
    with django_assert_max_num_queries(single):
        content = client.get("/").content.decode()
    assert "Conference four" in content


@pytest.mark.django_db
def test_organizer_page_separates_upcoming_and_past_and_hides_others_events(
    client, make_event, other_organizer
):
    make_event(slug="soon")
    make_event(slug="over", **PAST)
    make_event(slug="draft", live=False)
    content = client.get("/example/").content.decode()
    assert content.index("Upcoming events") < content.index("Conference soon")
    assert content.index("Past events") < content.index("Conference over")
    assert "Conference draft" not in content
    # Another organizer's events never show on this organizer's page, nor its unpublished ones.
    other_content = client.get(f"/{other_organizer.slug}/").content.decode()
    assert "Conference soon" not in other_content
    assert "Conference over" not in other_content


@pytest.mark.django_db
def test_organizer_who_hides_its_events_is_not_listed(client, organizer, make_event):
    make_event(slug="soon")
    organizer.settings.set("show_on_organizer_page", False)
    assert "Conference soon" not in client.get("/").content.decode()
    assert "Conference soon" not in client.get("/example/").content.decode()


@pytest.mark.django_db
def test_header_shows_event_name_logo_colour_and_footer_links(client, organizer, event):
    organizer.settings.update(
        {
            "brand_color": "#ffd700",
            "logo_url": "https://example.org/logo.png",
            "imprint_url": "https://example.org/imprint",
            "privacy_url": "https://example.org/privacy",
        }
    )
    content = client.get("/example/conf/").content.decode()
    header = content[content.index('<header class="ey-header"') : content.index("</header>")]
    assert "Conference conf" in header
    assert "--ey-brand: #ffd700" in header
    # Gold is light: the header text is black.
    assert "--ey-brand-text: #000000" in header
    assert 'src="https://example.org/logo.png"' in header
    footer = content[content.index('<footer class="ey-footer"') :]
    assert 'href="https://example.org/imprint"' in footer
    assert 'href="https://example.org/privacy"' in footer


@pytest.mark.django_db
def test_default_colour_reads_with_white_text(client, event):
    content = client.get("/example/conf/").content.decode()
    assert f"--ey-brand: {DEFAULT_BRAND_COLOR}" in content
    assert contrast_color(DEFAULT_BRAND_COLOR) == "#ffffff"


@pytest.mark.django_db
def test_plugins_contribute_navigation_entries(client, event):
    def entries(event, request):
        url = f"/{event.organizer.slug}/{event.slug}/extra/"
        return [
            PublicNavItem(label="Late entry", url=url, priority=90),
            PublicNavItem(label="Early entry", url="/early/", active=True, priority=5),
        ]

    with register_temporarily("eventyay", public_navigation=entries):
        content = client.get("/example/conf/").content.decode()
    nav = content[content.index('<nav class="ey-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert nav.index("Overview") < nav.index("Early entry") < nav.index("Late entry")
    assert '<a href="/early/" aria-current="page">Early entry</a>' in nav


@pytest.mark.django_db
def test_language_switch_offers_the_event_locales_and_works_without_javascript(client, event):
    with scope(organizer=event.organizer):
        event.locales = ["en", "de"]
        event.save(update_fields=["locales"])
    content = client.get("/example/conf/").content.decode()
    assert f'action="{reverse("set_language")}"' in content
    assert 'value="de"' in content
    response = client.post(reverse("set_language"), {"language": "de", "next": "/example/conf/"})
    assert response.status_code == 302
    assert response["Location"] == "/example/conf/"
    german = client.get("/example/conf/").content.decode()
    assert '<html lang="de">' in german


@pytest.mark.django_db
def test_single_language_event_has_no_switch(client, event):
    assert reverse("set_language") not in client.get("/example/conf/").content.decode()


@pytest.mark.django_db
def test_error_pages_are_styled_in_the_frame(client, event):
    response = client.get("/example/conf/nowhere/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content
    assert 'class="ey-header"' in content
    assert 'class="ey-footer"' in content


def test_server_error_page_renders_without_request_or_database():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert 'class="ey-header"' in html


@pytest.mark.django_db
def test_server_error_is_the_styled_page(event, settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    from eventyay.config import urls as root

    settings.ROOT_URLCONF = type("Urls", (), {"urlpatterns": [path("broken/", broken), *root.urlpatterns]})
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.django_db
def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg")
    assert client.get(response["Location"]).status_code == 200
