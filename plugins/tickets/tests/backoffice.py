"""Factories shared by the back-office tests (documents, check-in, control pages)."""

from __future__ import annotations

from typing import Any

from django_scopes import scope, scopes_disabled

from eventyay.base.models import User
from eventyay.base.services.teams import team_member_add, team_save

from .conftest import ticket_position


def place_order(catalogue: Any, *, name: str = "Ada Lovelace", paid: bool = True, **extra: Any) -> Any:
    """An order of one ticket for ``name`` (paid unless told otherwise), placed through the services."""
    from eventyay_tickets.services import order_mark_paid, order_place

    with scope(organizer=catalogue.event.organizer):
        order = order_place(
            event=catalogue.event,
            email="buyer@example.org",
            positions=[ticket_position(catalogue, attendee_name=name, **extra)],
            payment_provider="banktransfer",
        )
        if paid:
            order_mark_paid(order=order, send_email=False)
        order.refresh_from_db()
    return order


def member_with(organizer: Any, email: str, permissions: list[str]) -> User:
    """A member of ``organizer`` seeing every event with exactly ``permissions``."""
    member = User.objects.create_user(email, "a long enough password")
    with scopes_disabled():
        team = team_save(organizer=organizer, name=email, permissions=permissions, all_events=True)
        team_member_add(team=team, user=member)
    return member


def make_checkin_list(catalogue: Any) -> Any:
    """A check-in list for all products of the catalogue's event."""
    from eventyay_tickets.models import CheckinList

    with scope(organizer=catalogue.event.organizer):
        return CheckinList.objects.create(event=catalogue.event, name="Main entrance")


def far_from_sold_out(catalogue: Any) -> None:
    """Give the catalogue's quotas room, so that no sale of a test nears their end.

    A sale near the end changes the "N left" badge of the public pages and bumps the event's
    content version, after which the next request reads the event anew: query counts compared
    across such a change would differ by those reads.
    """
    from eventyay_tickets.models import Quota

    with scopes_disabled():
        Quota.objects.filter(event=catalogue.event).update(size=1000)
