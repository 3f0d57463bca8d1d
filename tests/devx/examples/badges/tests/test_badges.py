import pytest

from eventyay.base.plugins import Section, installed_plugins
from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db


def test_plugin_is_installed():
    assert installed_plugins()["badges"].verbose_name == "Badges"


def test_section_shows_only_where_the_plugin_is_on(client, make_event):
    make_event(slug="with", plugins=["badges"])
    make_event(slug="without")
    assert "Hello from Badges" in client.get("/example/with/").content.decode()
    assert "Hello from Badges" not in client.get("/example/without/").content.decode()


def test_page_answers_only_where_the_plugin_is_on(client, make_event):
    make_event(slug="with", plugins=["badges"])
    make_event(slug="without")
    assert client.get("/example/with/badges/").status_code == 200
    assert client.get("/example/without/badges/").status_code == 404


def test_register_temporarily_adds_a_section_for_one_block(client, make_event):
    make_event(slug="with", plugins=["badges"])

    def extra_section(event, request):
        return [Section(title="Temporary", html="only inside the block")]

    with register_temporarily("badges", event_public_sections=extra_section):
        assert "only inside the block" in client.get("/example/with/").content.decode()
    assert "only inside the block" not in client.get("/example/with/").content.decode()
