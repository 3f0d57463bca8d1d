import pytest
from django.utils.safestring import mark_safe
from django_scopes import scope

from eventyay.base.plugins import Section
from eventyay.base.services.events import event_update
from eventyay.testing.plugin import register_temporarily


@pytest.mark.django_db
def test_organizer_page_lists_only_live_public_events(client, make_event):
    make_event(slug="live-one")
    make_event(slug="draft", live=False)
    make_event(slug="unlisted", is_public=False)
    response = client.get("/example/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Conference live-one" in content
    assert "Conference draft" not in content
    assert "Conference unlisted" not in content


@pytest.mark.django_db
def test_event_front_page_shows_name_dates_and_description(client, event):
    with scope(organizer=event.organizer):
        event_update(event=event, data={"description": {"en": "Talks & workshops"}})
    content = client.get("/example/conf/").content.decode()
    assert "Conference conf" in content
    assert "Talks &amp; workshops" in content


@pytest.mark.django_db
def test_event_that_is_not_live_is_hidden_from_public_but_previewed_for_team(
    client, client_for, user, make_event
):
    make_event(slug="draft", live=False)
    assert client.get("/example/draft/").status_code == 404
    response = client_for(user).get("/example/draft/")
    assert response.status_code == 200
    assert "not live yet" in response.content.decode()


@pytest.mark.django_db
def test_core_sections_render_in_order(client, event):
    def sections(event, request):
        return [
            Section(title="First", html=mark_safe("<p>one</p>")),
            Section(title="Second", html="<b>two</b>"),
        ]

    with register_temporarily("eventyay", event_public_sections=sections):
        content = client.get("/example/conf/").content.decode()
    assert content.index("First") < content.index("Second")
    assert "<p>one</p>" in content
    # Plain strings are escaped: only markup marked safe is rendered as HTML.
    assert "&lt;b&gt;two&lt;/b&gt;" in content


@pytest.mark.django_db
def test_unknown_organizer_and_event_are_404(client, event):
    assert client.get("/nope/").status_code == 404
    assert client.get("/example/nope/").status_code == 404
