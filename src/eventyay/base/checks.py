"""System checks for the plugin setup (``python -m eventyay check``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register


@register("eventyay")
def check_plugins(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from eventyay.base.plugins.manager import (
        broken_plugins,
        duplicate_record_problems,
        registry,
        unknown_hook_problems,
    )

    messages: list[Any] = []
    for problem in registry.errors:
        messages.append(Error(problem, id="eventyay.E001"))
    for problem in unknown_hook_problems():
        messages.append(
            Error(problem, hint="Check the hook's name against the hook reference.", id="eventyay.E002")
        )
    for problem in duplicate_record_problems():
        messages.append(Error(problem, id="eventyay.E003"))
    from eventyay.base.plugins.urls import route_collisions

    for problem in route_collisions():
        messages.append(Error(problem, hint="Give one plugin's route another path.", id="eventyay.E004"))
    for broken in broken_plugins():
        messages.append(Warning(f"Plugin {broken.name} is left off: {broken.error}", id="eventyay.W001"))
    return messages
