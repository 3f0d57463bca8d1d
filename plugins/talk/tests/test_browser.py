"""The public schedule in headless Chromium at phone and desktop widths, and a proposal
submitted with the keyboard alone (Tab, typing and Enter; no clicks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django_scopes import scopes_disabled

from .conftest import url
from .test_schedule_grid import _release_v2


def _screenshots() -> Path:
    path = Path(settings.DATA_DIR) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus, as a keyboard user would."""
    target = page.locator(selector).first
    target.wait_for()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def _box(page, title: str) -> dict[str, float]:
    card = page.locator(".talk-grid .talk-slot", has_text=title).first
    box = card.bounding_box()
    assert box is not None, title
    return box


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_schedule_at_desktop_and_phone_width(
    live_server, chromium, released, talk_event, rooms, make_submission
):
    _release_v2(talk_event, rooms, make_submission)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + url(talk_event, "schedule"))
    long, short = _box(page, "Long workshop"), _box(page, "Über Fahrpläne")
    # Time runs down the page: 90 minutes are three times 30 (each card keeps a 1 px margin).
    assert abs((long["height"] + 2) / (short["height"] + 2) - 3) < 0.05
    rooms_x = [
        page.locator(".talk-grid-room", has_text=name).first.bounding_box()["x"]
        for name in ("Saal Ü", "Room B")
    ]
    assert rooms_x[0] < rooms_x[1] and abs(short["x"] - rooms_x[0]) < 8 and abs(long["x"] - rooms_x[1]) < 8
    coffee = _box(page, "Coffee")
    assert coffee["width"] > 2.5 * short["width"]  # one break across the three rooms
    page.screenshot(path=str(_screenshots() / "schedule-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + url(talk_event, "schedule"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not page.locator(".talk-grid-room").first.is_visible()
    phone_card = page.locator(".talk-grid .talk-slot", has_text="Über Fahrpläne").first
    assert phone_card.locator(".talk-slot-room").is_visible()
    assert phone_card.bounding_box()["width"] > 300  # one card per line, in time order
    page.screenshot(path=str(_screenshots() / "schedule-375.png"), full_page=True)
    assert (_screenshots() / "schedule-375.png").stat().st_size > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_submit_a_proposal_with_the_keyboard_only(live_server, chromium, talk_event, talk_type):
    from eventyay_talk.models import Submission

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + url(talk_event, "cfp"))
    tab_to(page, "a:has-text('Submit a proposal') >> nth=-1")
    page.keyboard.press("Enter")
    page.wait_for_url("**/submit/info/")
    tab_to(page, "#id_title")
    page.keyboard.type("Keyboards for everyone")
    # Continue without the abstract: the error must take the focus to the field.
    tab_to(page, "button:has-text('Continue')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#id_abstract[aria-invalid]").wait_for()
    assert page.evaluate("document.activeElement.id") == "id_abstract"
    assert page.locator("#id_abstract").get_attribute("aria-invalid") == "true"
    page.keyboard.type("Why every form should work without a mouse.")
    tab_to(page, "button:has-text('Continue')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/submit/account/")
    tab_to(page, "#id_signup-signup_name, #id_signup_name")
    page.keyboard.type("Kim Keys")
    page.keyboard.press("Tab")
    page.keyboard.type("kim@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("a long enough passphrase")
    page.keyboard.press("Tab")
    page.keyboard.type("a long enough passphrase")
    tab_to(page, "button:has-text('Create account and continue')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/submit/profile/")
    tab_to(page, "#id_biography")
    page.keyboard.type("Writes accessible software.")
    tab_to(page, "button:has-text('Submit proposal')")
    page.screenshot(path=str(_screenshots() / "proposal-keyboard-1280.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/**")
    with scopes_disabled():
        submission = Submission.objects.get(event=talk_event)
        assert submission.title == "Keyboards for everyone" and submission.state == "submitted"
        assert list(submission.speakers.values_list("email", flat=True)) == ["kim@example.org"]
