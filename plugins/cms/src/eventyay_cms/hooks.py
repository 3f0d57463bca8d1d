"""The CMS plugin's hook implementations: connector types, the sync job, push triggers, pages."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.permissions import grant_for_user
from eventyay.base.plugins import NavItem, PublicNavItem, hookimpl

READ_PERMISSION = "event.settings:read"
WRITE_PERMISSION = "event.settings:write"


@hookimpl
def register_cms_connectors() -> list[Any]:
    from eventyay_cms.connectors.wagtail import WAGTAIL
    from eventyay_cms.connectors.wordpress import WORDPRESS

    return [WORDPRESS, WAGTAIL]


@hookimpl
def register_job_runners() -> dict[str, Any]:
    from eventyay_cms.services.sync import SYNC_JOB_KIND, sync_job_run

    return {SYNC_JOB_KIND: sync_job_run}


@hookimpl(optionalhook=True)
def schedule_released(schedule: Any) -> None:
    """A release changes the schedule, its sessions and speakers: queue them all (coalesced)."""
    from eventyay_cms.services.content import released_resources
    from eventyay_cms.services.push import enqueue_for_event

    enqueue_for_event(schedule.event, released_resources(schedule.event))


@hookimpl
def control_nav_event(event: Any, request: Any) -> list[NavItem]:
    if not grant_for_user(request.user, event.organizer).has_event_permission(event, READ_PERMISSION):
        return []
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    return [
        NavItem(
            label=str(_("CMS connections")),
            url=reverse("plugins:cms:control.connections", kwargs=kwargs),
            active_prefix="plugins:cms:control.",
            group="settings",
        )
    ]


@hookimpl
def public_navigation(event: Any, request: Any) -> list[PublicNavItem]:
    """The pulled pages the organizer placed in the event's navigation, one entry each."""
    from eventyay_cms.models import PulledPage

    pages = PulledPage.objects.filter(event=event, published=True, show_in_nav=True).only("slug", "title")
    entries = []
    for page in pages.order_by("title"):
        url = reverse(
            "plugins:cms:page",
            kwargs={"organizer": event.organizer.slug, "event": event.slug, "slug": page.slug},
        )
        entries.append(PublicNavItem(label=page.title, url=url, active=request.path == url, priority=60))
    return entries
