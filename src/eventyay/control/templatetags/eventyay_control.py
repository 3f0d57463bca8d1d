"""Template tags of the control panel: the navigation that every control page shows.

``{% control_nav as nav %}`` (used by ``eventyay_control/base.html``) gives ``nav.organizer``
and ``nav.event`` (each None or ``{"object", "items"}``), built from the request's organizer
and event, the user's permissions and the ``control_nav_organizer`` / ``control_nav_event``
hooks. Plugin pages under ``/control/event/<organizer>/<event>/`` get the event navigation by
extending ``eventyay_control/base.html`` or ``eventyay_control/event/base.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters.registry import exporters_for
from eventyay.base.plugins.manager import hooks_for, plugin_manager
from eventyay.base.plugins.records import NavItem
from eventyay.control.permissions import request_grant

register = template.Library()


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    active: bool


def _active(request: HttpRequest, url: str, exact: bool, prefix: str = "") -> bool:
    match = getattr(request, "resolver_match", None)
    if prefix and match is not None and match.view_name.startswith(prefix):
        return True
    return request.path == url if exact else request.path.startswith(url)


def _entries(
    request: HttpRequest, core: list[tuple[Any, str, bool]], extra: list[list[NavItem]]
) -> list[Entry]:
    entries = [Entry(str(label), url, _active(request, url, exact)) for label, url, exact in core]
    for result in extra:
        for item in result or []:
            entries.append(
                Entry(str(item.label), item.url, _active(request, item.url, False, item.active_prefix))
            )
    return entries


def organizer_nav(request: HttpRequest, organizer: Any) -> list[Entry]:
    grant = request_grant(request, organizer)
    kwargs = {"organizer": organizer.slug}
    core: list[tuple[Any, str, bool]] = [
        (_("Events"), reverse("control:organizer.index", kwargs=kwargs), True)
    ]
    if exporters_for(organizer=organizer, event=None, grant=grant):
        core.append((_("Export"), reverse("control:organizer.export", kwargs=kwargs), False))
    if grant.has_organizer_permission("organizer.teams:write"):
        core.append((_("Teams"), reverse("control:organizer.teams", kwargs=kwargs), False))
    if grant.has_organizer_permission("organizer.settings:write"):
        core.append((_("Settings"), reverse("control:organizer.settings", kwargs=kwargs), False))
        core.append((_("Plugins"), reverse("control:organizer.plugins", kwargs=kwargs), False))
        core.append((_("Audit log"), reverse("control:organizer.log", kwargs=kwargs), False))
    extra = plugin_manager.hook.control_nav_organizer(organizer=organizer, request=request)
    return _entries(request, core, extra)


def event_nav(request: HttpRequest, event: Any) -> list[Entry]:
    grant = request_grant(request, event.organizer)
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    core: list[tuple[Any, str, bool]] = [
        (_("Dashboard"), reverse("control:event.index", kwargs=kwargs), True)
    ]
    if grant.has_event_permission(event, "event.settings:read"):
        core += [
            (_("Settings"), reverse("control:event.settings", kwargs=kwargs), False),
            (_("Plugins"), reverse("control:event.plugins", kwargs=kwargs), False),
            (_("Audit log"), reverse("control:event.log", kwargs=kwargs), False),
        ]
        if grant.has_organizer_permission("organizer.events:create"):
            core.append((_("Clone"), reverse("control:event.clone", kwargs=kwargs), False))
    if exporters_for(organizer=event.organizer, event=event, grant=grant):
        core.append((_("Export"), reverse("control:event.export", kwargs=kwargs), False))
    if grant.has_event_permission(event, "event.settings:write"):
        core.append((_("Delete"), reverse("control:event.delete", kwargs=kwargs), False))
    extra = hooks_for(event).control_nav_event(event=event, request=request)
    return _entries(request, core, extra)


@register.simple_tag(takes_context=True)
def control_nav(context: template.Context) -> dict[str, Any]:
    """The organizer and event navigation for the current request (empty for outsiders)."""
    request = context.get("request")
    nav: dict[str, Any] = {"organizer": None, "event": None}
    if request is None or not request.user.is_authenticated:
        return nav
    organizer = getattr(request, "organizer", None)
    event = getattr(request, "event", None)
    if organizer is None or not request.path.startswith(reverse("control:index")):
        return nav
    grant = request_grant(request, organizer)
    if not grant.is_member:
        return nav
    nav["organizer"] = {"object": organizer, "items": organizer_nav(request, organizer)}
    if event is not None and grant.can_see_event(event):
        nav["event"] = {"object": event, "items": event_nav(request, event)}
    return nav
