"""Every hook documents itself, and the plugin guide renders every hook."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from eventyay.base.plugins import plugin_manager
from eventyay.base.plugins.manager import installed_plugins

DOC_DIR = Path(__file__).resolve().parents[2] / "doc"
CORE_SPECS = "eventyay.base.plugins.hookspecs"


def hookspecs():
    """Every hook specification the manager knows: the core's and those plugins declare."""
    specs = []
    for name, caller in sorted(vars(plugin_manager.hook).items()):
        if name.startswith("_") or getattr(caller, "spec", None) is None:
            continue
        specs.append(caller.spec)
    return specs


def test_core_and_plugin_declared_hooks_are_found():
    modules = {spec.namespace.__name__ for spec in hookspecs()}
    assert CORE_SPECS in modules
    assert "eventyay_dummy.hookspecs" in modules
    names = {spec.name for spec in hookspecs()}
    assert {
        "event_public_sections",
        "control_nav_event",
        "register_team_permissions",
        "register_webhook_action_types",
        "plugin_enabled",
        "plugin_disabled",
        "demo_data",
    } <= names


@pytest.mark.parametrize("spec", hookspecs(), ids=lambda spec: spec.name)
def test_hook_is_documented(spec):
    doc = inspect.getdoc(spec.function)
    assert doc, f"{spec.name} has no docstring"
    assert re.search(r"^Scope: ``(event|global)``", doc, re.MULTILINE), f"{spec.name}: no 'Scope:' line"
    for argument in spec.argnames:
        assert f":param {argument}:" in doc, f"{spec.name}: argument {argument!r} is not documented"
    documented = set(re.findall(r":param (\w+):", doc))
    assert documented <= set(spec.argnames), f"{spec.name} documents arguments it does not have"
    assert "Example::" in doc, f"{spec.name} has no example"


def rendered_modules():
    """Modules the docs render with ``automodule`` (each with ``:members:``)."""
    modules = set()
    for path in DOC_DIR.rglob("*.rst"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^\.\. automodule:: (\S+)\n((?:   .*\n)*)", text, re.MULTILINE):
            if ":members:" in match.group(2):
                modules.add(match.group(1))
    return modules


def test_every_hook_of_core_and_bundled_plugins_is_rendered_in_the_docs():
    # Hidden plugins (the contract tests' dummy plugin) are not offered to anyone, so their
    # hooks are no public API and stay out of the guide.
    visible_modules = {f"{info.module}.hookspecs" for info in installed_plugins().values() if info.visible}
    rendered = rendered_modules()
    for spec in hookspecs():
        module = spec.namespace.__name__
        if module == CORE_SPECS or module in visible_modules:
            assert module in rendered, f"hook {spec.name} of {module} is not rendered by the docs"
