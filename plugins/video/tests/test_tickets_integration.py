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
from eventyay_video.tokens import token_decode

from eventyay.base.plugins import hooks_for, installed_plugins, plugin_manager

pytestmark = pytest.mark.django_db


def tickets_installed() -> bool:
    return "tickets" in installed_plugins()


@pytest.fixture
def hybrid_event(make_event):
    plugins = ["tickets", "video"] if tickets_installed() else ["video"]
    return make_event(slug="hybrid", plugins=plugins)


def make_order(event, *, status: str, admission: bool = True, email: str = "ada@example.org"):
    from eventyay_tickets.models import Order, OrderPosition, Product

    product = Product.objects.create(
        event=event, name={"en": "Online ticket"}, price=Decimal("10"), admission=admission
    )
    order = Order.objects.create(
        event=event, code="ABC12", status=status, email=email, expires=timezone.now() + dt.timedelta(days=3)
    )
    OrderPosition.objects.create(
        order=order, positionid=1, product=product, price=Decimal("10"), attendee_name="Ada"
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
