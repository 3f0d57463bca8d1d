"""A person logs in and creates an event in a real (headless) browser, keyboard and all."""

from __future__ import annotations

import pytest
from django_scopes import scope

from eventyay.base.models import Event


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_log_in_and_create_an_event(live_server, user, organizer, chromium):
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/control/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/control/")
    page.get_by_role("link", name="Example Org").first.click()
    page.get_by_role("link", name="Create an event").click()
    page.locator("#id_name_0").fill("Browser Conference")
    page.get_by_label("Short form").fill("browserconf")
    page.get_by_label("Start").fill("2031-05-01T09:00")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(f"{live_server.url}/control/event/example/browserconf/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert not [error for error in errors if "Content Security Policy" in error]
    with scope(organizer=organizer):
        assert str(Event.objects.get(slug="browserconf").name) == "Browser Conference"
