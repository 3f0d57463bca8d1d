"""A hook the dummy plugin declares for other plugins, like any plugin may."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventyay.base.plugins import hookspec

if TYPE_CHECKING:
    from eventyay.base.models import Event


@hookspec
def dummy_greetings(event: Event) -> list[str]:
    """Add greetings to the dummy plugin's front-page section.

    Scope: ``event``. Only plugins enabled for the event are asked.

    :param event: the event whose front page is rendered.
    :return: a list of plain-text greetings.

    Example::

        @hookimpl
        def dummy_greetings(event):
            return [f"Welcome to {event.name}!"]

    .. versionadded:: 1.0
    """
