from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django_scopes import scope
from eventyay_campaigns.models import Attribution, Campaign
from eventyay_campaigns.services.attribution import order_attribute, order_attribution_cancel

pytestmark = pytest.mark.django_db

SPRING = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring"}
SOCIAL = {"utm_source": "mastodon", "utm_medium": "social", "utm_campaign": "spring"}


def order(code: str, total: str, utm: Any, email: str = "ann@example.org") -> Any:
    return SimpleNamespace(code=code, total=Decimal(total), email=email, utm=utm, status="pending")


@pytest.fixture
def spring(organizer: Any) -> Campaign:
    with scope(organizer=organizer):
        return Campaign.objects.create(organizer=organizer, name="Spring", body="x", **SPRING)


def test_order_is_attributed_to_the_campaigns_of_its_first_and_last_touch(
    organizer: Any, crm_event: Any, spring: Campaign, make_contact: Any
) -> None:
    ann = make_contact("ann@example.org")
    with scope(organizer=organizer):
        attribution = order_attribute(
            event=crm_event,
            order=order("ABC12", "50.00", {"first": {**SPRING, "utm_content": "button"}, "last": SOCIAL}),
        )
    assert attribution is not None
    assert (attribution.kind, attribution.amount, attribution.currency) == ("order", Decimal("50.00"), "EUR")
    assert attribution.first_campaign == spring and attribution.last_campaign is None
    assert (attribution.first_utm_source, attribution.last_utm_source) == ("newsletter", "mastodon")
    assert attribution.touches["first"]["utm_content"] == "button"
    assert attribution.contact == ann


def test_free_order_is_a_registration_and_a_single_touch_is_first_and_last(
    organizer: Any, crm_event: Any, spring: Campaign
) -> None:
    with scope(organizer=organizer):
        attribution = order_attribute(event=crm_event, order=order("FREE1", "0.00", {"last": SPRING}))
    assert attribution is not None
    assert attribution.kind == "registration"
    assert attribution.first_campaign == spring and attribution.last_campaign == spring


def test_orders_without_utm_values_are_not_attributed(organizer: Any, crm_event: Any) -> None:
    with scope(organizer=organizer):
        assert order_attribute(event=crm_event, order=order("NONE1", "10.00", {})) is None
        assert order_attribute(event=crm_event, order=order("NONE2", "10.00", None)) is None
        assert order_attribute(event=crm_event, order=order("NONE3", "10.00", {"first": "junk"})) is None
        assert not Attribution.objects.exists()


def test_replayed_notification_and_cancel(organizer: Any, crm_event: Any, spring: Campaign) -> None:
    placed = order("ABC12", "50.00", {"first": SPRING, "last": SPRING})
    with scope(organizer=organizer):
        first = order_attribute(event=crm_event, order=placed)
        again = order_attribute(event=crm_event, order=placed)
        assert first is not None and again is not None and first.pk == again.pk
        assert order_attribution_cancel(event=crm_event, order=placed) == 1
        assert order_attribution_cancel(event=crm_event, order=placed) == 0
        assert Attribution.objects.get().active is False


def test_campaigns_of_another_organizer_never_match(
    organizer: Any, other_organizer: Any, crm_event: Any
) -> None:
    with scope(organizer=other_organizer):
        Campaign.objects.create(organizer=other_organizer, name="Theirs", body="x", **SPRING)
    with scope(organizer=organizer):
        attribution = order_attribute(event=crm_event, order=order("ABC12", "5.00", {"first": SPRING}))
    assert attribution is not None and attribution.first_campaign is None
