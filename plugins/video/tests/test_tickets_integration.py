"""The join link on the tickets plugin's order page (``order_page_sections``).

When the tickets plugin is not installed nobody calls the hook: the implementation is
registered as optional and no hook of that name is declared.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.utils import timezone
from django_scopes import scope
from eventyay_video.tokens import SPEAKER_TRAIT, token_decode

from eventyay.base.plugins import hooks_for, installed_plugins, plugin_manager

pytestmark = pytest.mark.django_db


def tickets_installed() -> bool:
    return "tickets" in installed_plugins()


@pytest.fixture
def hybrid_event(make_event):
    plugins = ["tickets", "video"] if tickets_installed() else ["video"]
    return make_event(slug="hybrid", plugins=plugins)


def make_order(
    event,
    *,
    status: str,
    admission: bool = True,
    email: str = "ada@example.org",
    attendee_email: str = "",
    code: str = "ABC12",
):
    from eventyay_tickets.models import Order, OrderPosition, Product

    product = Product.objects.create(
        event=event, name={"en": "Online ticket"}, price=Decimal("10"), admission=admission
    )
    order = Order.objects.create(
        event=event, code=code, status=status, email=email, expires=timezone.now() + dt.timedelta(days=3)
    )
    OrderPosition.objects.create(
        order=order,
        positionid=1,
        product=product,
        price=Decimal("10"),
        attendee_name="Ada",
        attendee_email=attendee_email,
    )
    return order, product


def join_sections(event, order) -> list:
    sections = []
    for result in hooks_for(event).order_page_sections(event=event, order=order, request=None):
        sections.extend(result or [])
    return [section for section in sections if section.key == "video-join"]


def test_without_tickets_the_hook_is_never_called(hybrid_event):
    if tickets_installed():
        caller = plugin_manager.hook.order_page_sections
        assert caller.spec is not None
        assert "video" in [impl.plugin_name for impl in caller.get_hookimpls()]
        return
    assert getattr(plugin_manager.hook, "order_page_sections", None) is None or (
        plugin_manager.hook.order_page_sections.spec is None
    )


def test_paid_order_gets_a_personal_join_link(hybrid_event, client):
    if not tickets_installed():
        assert "tickets" not in hybrid_event.enabled_plugin_names
        return
    with scope(organizer=hybrid_event.organizer):
        order, product = make_order(hybrid_event, status="paid")
        sections = join_sections(hybrid_event, order)
    assert len(sections) == 1
    token = unquote(re.search(r"\?token=([^\"&]+)", sections[0].html).group(1))
    user = token_decode(event=hybrid_event, token=token)
    assert user.name == "Ada" and user.uid.startswith("ticket:")
    assert {"attendee", f"product:{product.pk}"} <= user.traits
    page = client.get(order.get_absolute_url())
    assert page.status_code == 200
    assert "Join the online event" in page.content.decode()


def test_pending_orders_need_the_organizers_consent(hybrid_event):
    if not tickets_installed():
        assert "tickets" not in hybrid_event.enabled_plugin_names
        return
    with scope(organizer=hybrid_event.organizer):
        order, _product = make_order(hybrid_event, status="pending")
        assert join_sections(hybrid_event, order) == []
        hybrid_event.settings.set("video_allow_pending", True)
        assert len(join_sections(hybrid_event, order)) == 1


def test_products_without_admission_get_no_link(hybrid_event):
    if not tickets_installed():
        assert "tickets" not in hybrid_event.enabled_plugin_names
        return
    with scope(organizer=hybrid_event.organizer):
        order, _product = make_order(hybrid_event, status="paid", admission=False)
        assert join_sections(hybrid_event, order) == []


def link_traits(html: str, event) -> frozenset[str]:
    token = unquote(re.search(r"\?token=([^\"&]+)", html).group(1))
    return token_decode(event=event, token=token).traits


@pytest.fixture
def speaker(monkeypatch):
    """An account the talk plugin reports as a speaker of every event."""
    from eventyay.base.models import User

    account = User.objects.create_user("speaker@example.org", "correct horse battery")
    monkeypatch.setattr("eventyay_talk.selectors.is_speaker", lambda *, event, user: user.pk == account.pk)
    return account


@pytest.fixture
def conference(make_event):
    return make_event(slug="conference", plugins=["tickets", "talk", "video"])


@pytest.mark.skipif(
    not {"tickets", "talk"} <= set(installed_plugins()), reason="needs the tickets and talk plugins"
)
def test_a_speakers_address_typed_into_an_order_grants_no_speaker_role(conference, speaker, client):
    with scope(organizer=conference.organizer):
        order, _product = make_order(
            conference, status="paid", email="buyer@example.org", attendee_email="Speaker@Example.org"
        )
        assert SPEAKER_TRAIT not in link_traits(join_sections(conference, order)[0].html, conference)
    page = client.get(order.get_absolute_url())
    assert SPEAKER_TRAIT not in link_traits(page.content.decode(), conference)


@pytest.mark.skipif(
    not {"tickets", "talk"} <= set(installed_plugins()), reason="needs the tickets and talk plugins"
)
def test_the_logged_in_speaker_gets_the_role_on_their_own_ticket_only(conference, speaker, client_for, user):
    with scope(organizer=conference.organizer):
        own, _product = make_order(conference, status="paid", attendee_email="speaker@example.org")
    page = client_for(speaker).get(own.get_absolute_url())
    assert SPEAKER_TRAIT in link_traits(page.content.decode(), conference)
    with scope(organizer=conference.organizer):
        for_a_friend, _product = make_order(
            conference, status="paid", attendee_email="friend@example.org", code="XYZ34"
        )
    page = client_for(speaker).get(for_a_friend.get_absolute_url())
    assert SPEAKER_TRAIT not in link_traits(page.content.decode(), conference)
    page = client_for(user).get(own.get_absolute_url())
    assert SPEAKER_TRAIT not in link_traits(page.content.decode(), conference)
