"""A purchase done with the keyboard alone (Tab, Shift+Tab, Enter, Space and typing), in headless Chromium.

Locators are only used to ask "is this the element that has focus?"; every interaction is a key
press, so a control that cannot be reached by Tab or has no visible focus fails the test.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scopes_disabled
from eventyay_tickets.models import Order

#: More stops than any shop page has; a control not reached within them is unreachable.
MAX_TAB_STOPS = 80

#: A focused control shows a ring: an outline or a box shadow (Bootstrap's focus ring).
HAS_VISIBLE_FOCUS = """element => {
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""


def is_focused(locator: Any) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def tab_to(page: Any, locator: Any, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has focus, then check the focus is visible."""
    key = "Shift+Tab" if backwards else "Tab"
    # The ring must come from focus, not from the control's resting style (a ring that is still
    # fading out after the control lost focus gets a moment to go).
    if not is_focused(locator):
        page.wait_for_function(f"element => !({HAS_VISIBLE_FOCUS})(element)", arg=locator.element_handle())
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press(key)
        if is_focused(locator):
            assert locator.evaluate(HAS_VISIBLE_FOCUS), f"{locator} has focus but no visible focus ring"
            return
    raise AssertionError(f"{locator} cannot be reached with {key}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_buy_a_ticket_with_the_keyboard_only(live_server, catalogue, chromium):
    # Reduced motion switches Bootstrap's transitions off: the focus ring is there at once.
    page = chromium.new_page(reduced_motion="reduce")
    page.goto(f"{live_server.url}/example/shop/")

    buy = page.get_by_role("link", name="Buy tickets")
    tab_to(page, buy)
    page.keyboard.press("Enter")

    count = page.get_by_label("Number of Ticket", exact=True)
    tab_to(page, count)
    page.keyboard.type("1")
    # Past the field and back: Shift+Tab reaches it too, and the typed value stays.
    page.keyboard.press("Tab")
    tab_to(page, count, backwards=True)
    assert count.input_value() in ("1", "01")
    tab_to(page, page.get_by_role("button", name="Add to cart"))
    page.keyboard.press("Enter")

    checkout = page.get_by_role("link", name="Proceed with checkout")
    checkout.wait_for()
    tab_to(page, checkout)
    page.keyboard.press("Enter")

    page.locator("#id_email").wait_for()
    tab_to(page, page.locator("#id_email"))
    page.keyboard.type("ada@example.org")
    tab_to(page, page.get_by_label("Email address (again)"))
    page.keyboard.type("ada@example.org")
    tab_to(page, page.get_by_label("Attendee name"))
    page.keyboard.type("Ada Lovelace")
    tab_to(page, page.get_by_label("Company"))
    page.keyboard.type("Analytical Engines Ltd")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    bank_transfer = page.get_by_label("Bank transfer")
    bank_transfer.wait_for()
    tab_to(page, bank_transfer)
    page.keyboard.press("Space")
    assert bank_transfer.is_checked()
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    place = page.get_by_role("button", name="Place binding order")
    place.wait_for()
    tab_to(page, place)
    page.keyboard.press("Enter")

    page.wait_for_url("**/tickets/order/**")
    assert page.get_by_role("heading", name="Order").is_visible()
    assert page.get_by_text("Please transfer 100.00 EUR").is_visible()
    with scopes_disabled():
        order = Order.objects.get()
        position = order.positions.get()
        answer = position.answers.get()
    assert order.email == "ada@example.org" and order.status == "pending"
    assert order.total == Decimal("100.00")
    assert position.product_id == catalogue.ticket.pk and position.attendee_name == "Ada Lovelace"
    assert answer.answer == "Analytical Engines Ltd"
