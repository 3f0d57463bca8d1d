"""The interactive API docs work in a real browser under the site's Content-Security-Policy."""

from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_schema_without_csp_violations(live_server, chromium):
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    external: list[str] = []
    page.on(
        "request",
        lambda request: (
            external.append(request.url) if not request.url.startswith((live_server.url, "data:")) else None
        ),
    )
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI lays out the operations as it goes; with some 200 operations on a busy machine
    # the last ones can take more than a minute, so the first operation proves it rendered.
    page.get_by_text("/api/v1/organizers/", exact=True).first.wait_for(timeout=60_000)
    assert page.locator(".opblock").count() > 0
    assert not [error for error in errors if "Content Security Policy" in error], errors
    assert not external, "everything is served by eventyay itself (no CDN)"
