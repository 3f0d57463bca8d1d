"""Accessibility audit of the public pages and the main control pages.

axe-core (the npm package installed by ``make install``) runs in headless Chromium on every
page of the demo conference: no violation of impact "serious" or "critical" may remain.
Each page is also photographed at phone (375 px) and desktop (1280 px) width into
``$EVENTYAY_DATA_DIR/screenshots/``, which CI keeps, so a layout regression can be seen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from eventyay.base.services.demo import DEMO_ADMIN_EMAIL, demo_setup

AXE = Path(settings.BASE_DIR) / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "audit horse battery"
WIDTHS = (375, 1280)
FAILING_IMPACTS = {"serious", "critical"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


def _public_pages(event: Any) -> dict[str, str]:
    from eventyay_talk.selectors import latest_schedule, public_speakers
    from eventyay_tickets.models import Order

    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    with scopes_disabled():
        order = Order.objects.filter(event=event).order_by("pk").first()
        schedule = latest_schedule(event)
        assert order is not None and schedule is not None, "the demo has orders and a released schedule"
        speaker = public_speakers(event, schedule)[0]
        talk_code = speaker.public_talks[0]["code"]
    return {
        "home": reverse("public:index"),
        "organizer": reverse("public:organizer.index", kwargs={"organizer": event.organizer.slug}),
        "event": event.get_absolute_url(),
        "shop": reverse("plugins:tickets:shop", kwargs=kwargs),
        "order": reverse(
            "plugins:tickets:order", kwargs={**kwargs, "code": order.code, "secret": order.secret}
        ),
        "schedule": reverse("plugins:talk:schedule", kwargs=kwargs),
        "talk": reverse("plugins:talk:talk", kwargs={**kwargs, "code": talk_code}),
        "speakers": reverse("plugins:talk:speakers", kwargs=kwargs),
        "speaker": reverse("plugins:talk:speaker", kwargs={**kwargs, "code": speaker.code}),
        "cfp": reverse("plugins:talk:cfp", kwargs=kwargs),
        "video": reverse("plugins:video:video.index", kwargs=kwargs),
        "not-found": f"/{event.organizer.slug}/{event.slug}/no-such-page/",
    }


def _control_pages(event: Any) -> dict[str, str]:
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    return {
        "control-dashboard": reverse("control:index"),
        "control-event": reverse("control:event.index", kwargs=kwargs),
        "control-event-settings": reverse("control:event.settings", kwargs=kwargs),
        "control-orders": reverse("plugins:tickets:control.orders", kwargs=kwargs),
        "control-submissions": reverse("plugins:talk:control.submissions", kwargs=kwargs),
    }


class Audit:
    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.axe_source = AXE.read_text()
        self.failures: dict[str, list[dict[str, Any]]] = {}
        self.screenshots = Path(settings.DATA_DIR) / "screenshots"
        self.screenshots.mkdir(parents=True, exist_ok=True)

    def visit(self, name: str, path: str) -> None:
        self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        self.check(name)

    def check(self, name: str) -> None:
        page = self.page
        # page.evaluate runs outside the page's Content Security Policy (no inline script).
        page.evaluate(f"() => {{ {self.axe_source}\n }}")
        violations = page.evaluate(RUN_AXE)
        serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        if serious:
            self.failures[name] = serious
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(self.screenshots / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[-1], "height": 900})

    def report(self) -> str:
        lines = []
        for name, violations in self.failures.items():
            for v in violations:
                lines.append(f"{name}: {v['id']} ({v['impact']}) {v['help']} at {', '.join(v['nodes'])}")
        return "\n".join(lines)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_and_control_pages_have_no_serious_accessibility_violations(live_server, chromium):
    assert AXE.exists(), f"{AXE} is missing: run make install (axe-core is in frontend/package.json)"
    event = demo_setup(admin_password=PASSWORD).event
    public, control = _public_pages(event), _control_pages(event)
    page = chromium.new_page(viewport={"width": WIDTHS[-1], "height": 900})
    audit = Audit(page, live_server.url)
    for name, path in public.items():
        audit.visit(name, path)

    # The checkout: a ticket in the cart, then the questions step.
    page.goto(live_server.url + public["shop"])
    page.locator("main input[type=number]").first.fill("1")
    page.get_by_role("button", name="Add to cart").first.click()
    page.get_by_role("link", name="Proceed with checkout").wait_for()
    page.get_by_role("link", name="Proceed with checkout").click()
    page.wait_for_url("**/checkout/**")
    audit.check("checkout")

    page.goto(live_server.url + reverse("control:auth.login"))
    audit.check("control-login")
    page.get_by_label("Email").fill(DEMO_ADMIN_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + reverse("control:index"))
    for name, path in control.items():
        audit.visit(name, path)

    assert not audit.failures, "serious or critical accessibility violations:\n" + audit.report()
    assert len(list(audit.screenshots.glob("*-375.png"))) >= len(public) + len(control) + 2
