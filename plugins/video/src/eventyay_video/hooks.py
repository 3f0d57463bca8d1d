"""Hook implementations of the video plugin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import Event
from eventyay.base.permissions import grant_for_user
from eventyay.base.plugins import NavItem, Section, TeamPermission, hookimpl
from eventyay_video.auth_state import event_lookup_forget

READ_PERMISSION = "event.video:read"
WRITE_PERMISSION = "event.video:write"


@hookimpl
def register_team_permissions() -> list[TeamPermission]:
    return [
        TeamPermission(READ_PERMISSION, _("View online event reports")),
        TeamPermission(WRITE_PERMISSION, _("Manage online rooms, moderate them and issue access tokens")),
    ]


@hookimpl
def control_nav_event(event: Event, request: HttpRequest) -> list[NavItem]:
    grant = grant_for_user(request.user, event.organizer)
    if not (
        grant.has_event_permission(event, READ_PERMISSION)
        or grant.has_event_permission(event, WRITE_PERMISSION)
    ):
        return []
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    return [
        NavItem(
            label=str(_("Online event")),
            url=reverse("plugins:video:control.rooms", kwargs=kwargs),
            active_prefix="plugins:video:control.",
        )
    ]


@hookimpl(optionalhook=True)
def order_page_sections(event: Event, order: Any, request: HttpRequest) -> list[Section]:
    """A join link per admission ticket of a paid (or, if allowed, pending) order.

    The logged-in account (not an address typed into the order) decides the speaker role.
    """
    from eventyay_video.access import order_join_links

    viewer = getattr(request, "user", None)
    links = order_join_links(event=event, order=order, viewer=viewer)
    if not links:
        return []
    html = render_to_string("eventyay_video/order_section.html", {"links": links, "event": event}, request)
    return [Section(title=str(_("Join the online event")), html=html, key="video-join")]


@hookimpl
def event_public_sections(event: Event, request: HttpRequest) -> list[Section]:
    """A way into the online venue from the event's front page, saying how access works."""
    url = reverse(
        "plugins:video:video.index", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )
    html = render_to_string("eventyay_video/event_section.html", {"event": event, "venue_url": url}, request)
    return [Section(title=str(_("Online venue")), html=html, key="video-venue")]


@hookimpl
def register_data_exporters(event: Event) -> list[Any]:
    from eventyay_video.exhibition_exporters import LeadsExporter

    return [LeadsExporter]


@hookimpl
def plugin_enabled(event: Event) -> None:
    """Sockets may connect at once (the lookup of the event may have cached "no video here")."""
    event_lookup_forget(event)


@hookimpl
def plugin_disabled(event: Event) -> None:
    """New sockets are refused at once, not when the cached lookup of the event runs out."""
    event_lookup_forget(event)


@hookimpl
def demo_data(event: Event) -> None:
    from eventyay_video.demo import demo_data_create

    demo_data_create(event=event)


@hookimpl
def public_navigation(event: Event, request: HttpRequest) -> list[Any]:
    from eventyay.base.plugins import PublicNavItem

    url = reverse(
        "plugins:video:video.index", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )
    return [PublicNavItem(label=_("Online venue"), url=url, active=request.path.startswith(url), priority=50)]


@hookimpl
def control_dashboard_widgets(event: Event, request: HttpRequest) -> list[Any]:
    from eventyay_video.dashboard import viewers_widgets

    return viewers_widgets(event, request, permissions=(READ_PERMISSION, WRITE_PERMISSION))
