"""Hooks the campaigns plugin offers other plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventyay.base.plugins import hookspec

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer


@hookspec
def contact_erased(organizer: Organizer, email: str, events: list[Event]) -> None:
    """An organizer erased a contact's personal data (a GDPR erasure request).

    Scope: ``global`` (the contact belongs to the organizer, not to one event). Runs after
    commit; an exception is logged and isolated. Plugins that keep personal data of the same
    person anonymise it where the law allows: the tickets plugin would blank the name,
    email address and answers of the orders and positions of ``events`` that carry
    ``email`` (case-insensitively), keeping the order itself, which accounting law keeps.

    :param organizer: the organizer whose contact was erased.
    :param email: the address the contact had, the only link to other records.
    :param events: the organizer's events in the contact's history.

    Example::

        @hookimpl(optionalhook=True)
        def contact_erased(organizer, email, events):
            services.orders_anonymise(events=events, email=email)

    .. versionadded:: 1.0
    """
