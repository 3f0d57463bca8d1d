from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django_scopes import scope
from eventyay_campaigns.services import contacts as contact_services


def _switched_on(organizer: Any) -> Any:
    """The plugin is of level organizer: its pages and API exist once it is switched on."""
    from eventyay.base.services.organizer_plugins import organizer_plugins_update

    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=["campaigns"], is_admin=True)
    return organizer


def switched_off(organizer: Any) -> Any:
    """The plugin switched off again for ``organizer`` (the fixtures switch it on)."""
    from eventyay.base.services.organizer_plugins import organizer_plugins_update

    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, disable=["campaigns"])
    return organizer


@pytest.fixture
def organizer(organizer: Any) -> Any:
    return _switched_on(organizer)


@pytest.fixture
def other_organizer(other_organizer: Any) -> Any:
    return _switched_on(other_organizer)


@pytest.fixture
def crm_event(make_event: Callable[..., Any]) -> Any:
    return make_event(slug="crmconf", plugins=["campaigns"])


@pytest.fixture
def make_contact(organizer: Any) -> Callable[..., Any]:
    def factory(email: str, **data: Any) -> Any:
        with scope(organizer=organizer):
            return contact_services.contact_save(organizer=organizer, data={"email": email, **data})

    return factory


def fake_order(code: str, email: str, *positions: tuple[str, str, int], status: str = "pending") -> Any:
    """What the campaigns hooks read of a tickets order: its public attributes only."""
    rows = [SimpleNamespace(attendee_email=e, attendee_name=n, product_id=p) for e, n, p in positions]
    return SimpleNamespace(
        code=code,
        email=email,
        locale="en",
        status=status,
        positions=SimpleNamespace(all=lambda: rows),
    )
