"""Plugin URLs are mounted by convention; one plugin's broken URL module leaves only its URLs out."""

from __future__ import annotations

from django.urls import reverse

from eventyay.base.plugins import urls as plugin_urls
from eventyay.base.plugins.manager import registry


def namespaces(patterns):
    (plugins,) = patterns
    return {pattern.namespace for pattern in plugins.url_patterns}


def test_plugin_urls_are_namespaced_by_plugin_name():
    assert reverse("plugins:dummy:index", kwargs={"organizer": "o", "event": "e"}) == "/o/e/dummy/"
    assert reverse("plugins:dummy:control.index", kwargs={"organizer": "o", "event": "e"}) == (
        "/control/event/o/e/dummy/"
    )
    assert reverse("plugins:dummy:ping") == "/_dummy/ping/"
    assert reverse("plugins:dummy:api:status", kwargs={"organizer": "o", "event": "e"}) == (
        "/api/v1/organizers/o/events/e/dummy/"
    )


def test_a_plugin_whose_url_module_fails_to_import_is_left_out_and_reported(monkeypatch):
    real_optional_module = plugin_urls._optional_module

    def failing_for_dummy(name):
        if name == "eventyay_dummy.urls":
            raise RuntimeError("broken urls")
        return real_optional_module(name)

    monkeypatch.setattr(plugin_urls, "_optional_module", failing_for_dummy)
    errors_before = list(registry.errors)
    try:
        mounted = namespaces(plugin_urls.plugin_urlpatterns())
        new_errors = registry.errors[len(errors_before) :]
    finally:
        registry.errors[:] = errors_before
    assert "dummy" not in mounted
    assert "Plugin dummy: its URLs could not be loaded: RuntimeError: broken urls" in new_errors
    assert "tickets" in mounted, "the other plugins keep their URLs"
