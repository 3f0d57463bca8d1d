"""Template tags of the control panel: the navigation that every control page shows.

``{% control_nav as nav %}`` (used by ``eventyay_control/base.html``) gives ``nav.organizer``
and ``nav.event`` (each None or ``{"object", "items", "groups"}``), built from the request's
organizer and event, the user's permissions and the ``control_nav_organizer`` /
``control_nav_event`` hooks. ``groups`` are the sidebar's areas (:class:`Group`): the core's
event settings, tickets, talk and online venue, then one per group a plugin names in
``NavItem.group``; a plugin's entries without a group are listed under the plugin's name. Plugin pages under ``/control/event/<organizer>/<event>/`` get the event navigation by
extending ``eventyay_control/base.html`` or ``eventyay_control/event/base.html``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters.registry import exporters_for
from eventyay.base.plugins.manager import CORE, hooks_for, plugin_manager, registry
from eventyay.base.plugins.records import NavItem
from eventyay.control.permissions import request_grant

register = template.Library()


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    active: bool
    group: str = ""


@dataclass
class Group:
    """One collapsible area of the sidebar; open when one of its entries is the current page."""

    key: str
    label: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(entry.active for entry in self.entries)


#: The core's areas, in sidebar order; ``NavItem.group`` names one of these keys or a label.
AREAS: dict[str, Any] = {
    "": _("Event"),
    "settings": _("Event settings"),
    "tickets": _("Tickets"),
    "talk": _("Talk"),
    "video": _("Online venue"),
    "organizer": _("Organizer"),
    "plugins": _("Plugins"),
}
#: Areas of the plugins shipped with eventyay, for entries that name no group.
PLUGIN_AREAS = {"tickets": "tickets", "talk": "talk", "video": "video", "stripe": "tickets"}


def _plugin_results(caller: Any, **kwargs: Any) -> list[tuple[str, list[NavItem]]]:
    """Call a hook plugin by plugin, so entries without a group land in their plugin's group."""
    results = []
    for impl in reversed(caller.get_hookimpls()):
        owner = registry.aliases.get(impl.plugin_name, impl.plugin_name)
        results.append((owner, impl.function(*[kwargs[arg] for arg in impl.argnames]) or []))
    return results


def _default_group(owner: str) -> str:
    if owner == CORE:
        return "plugins"
    if owner in PLUGIN_AREAS:
        return PLUGIN_AREAS[owner]
    info = registry.plugins.get(owner)
    return info.display_name if info is not None else "plugins"


def grouped(entries: list[Entry], order: tuple[str, ...]) -> list[Group]:
    """The entries in sidebar groups: the core's areas in ``order`` first, then plugin groups."""
    groups: dict[str, Group] = {key: Group(key, str(AREAS[key])) for key in order}
    for entry in entries:
        key = entry.group
        if key not in groups:
            groups[key] = Group(key, str(AREAS.get(key, key)))
        groups[key].entries.append(entry)
    return [group for group in groups.values() if group.entries]


def _active(request: HttpRequest, url: str, exact: bool, prefix: str = "") -> bool:
    match = getattr(request, "resolver_match", None)
    if prefix and match is not None and match.view_name.startswith(prefix):
        return True
    return request.path == url if exact else request.path.startswith(url)


def _entries(
    request: HttpRequest,
    core: list[tuple[Any, str, bool, str]],
    extra: list[tuple[str, list[NavItem]]],
) -> list[Entry]:
    entries = [
        Entry(str(label), url, _active(request, url, exact), group) for label, url, exact, group in core
    ]
    for owner, result in extra:
        for item in result:
            entries.append(
                Entry(
                    str(item.label),
                    item.url,
                    _active(request, item.url, False, item.active_prefix),
                    str(item.group) or _default_group(owner),
                )
            )
    return entries


def organizer_nav(request: HttpRequest, organizer: Any) -> list[Entry]:
    grant = request_grant(request, organizer)
    kwargs = {"organizer": organizer.slug}
    org = "organizer"
    core: list[tuple[Any, str, bool, str]] = [
        (_("Events"), reverse("control:organizer.index", kwargs=kwargs), True, org)
    ]
    if exporters_for(organizer=organizer, event=None, grant=grant):
        core.append((_("Export"), reverse("control:organizer.export", kwargs=kwargs), False, org))
    if grant.has_organizer_permission("organizer.teams:write"):
        core.append((_("Teams"), reverse("control:organizer.teams", kwargs=kwargs), False, org))
    if grant.has_organizer_permission("organizer.settings:write"):
        core.append((_("Settings"), reverse("control:organizer.settings", kwargs=kwargs), False, org))
        core.append((_("Plugins"), reverse("control:organizer.plugins", kwargs=kwargs), False, org))
        core.append((_("Audit log"), reverse("control:organizer.log", kwargs=kwargs), False, org))
    extra = _plugin_results(plugin_manager.hook.control_nav_organizer, organizer=organizer, request=request)
    return _entries(request, core, extra)


def event_nav(request: HttpRequest, event: Any) -> list[Entry]:
    grant = request_grant(request, event.organizer)
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    core: list[tuple[Any, str, bool, str]] = [
        (_("Dashboard"), reverse("control:event.index", kwargs=kwargs), True, "")
    ]
    if exporters_for(organizer=event.organizer, event=event, grant=grant):
        core.append((_("Export"), reverse("control:event.export", kwargs=kwargs), False, ""))
    if grant.has_event_permission(event, "event.settings:read"):
        core += [
            (_("Settings"), reverse("control:event.settings", kwargs=kwargs), False, "settings"),
            (_("Plugins"), reverse("control:event.plugins", kwargs=kwargs), False, "settings"),
            (_("Audit log"), reverse("control:event.log", kwargs=kwargs), False, "settings"),
        ]
        if grant.has_organizer_permission("organizer.events:create"):
            core.append((_("Clone"), reverse("control:event.clone", kwargs=kwargs), False, "settings"))
    if grant.has_event_permission(event, "event.settings:write"):
        core.append((_("Delete"), reverse("control:event.delete", kwargs=kwargs), False, "settings"))
    extra = _plugin_results(hooks_for(event).control_nav_event, event=event, request=request)
    return _entries(request, core, extra)


EVENT_ORDER = ("", "settings", "tickets", "talk", "video")
ORGANIZER_ORDER = ("organizer",)


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
    items = organizer_nav(request, organizer)
    nav["organizer"] = {"object": organizer, "items": items, "groups": grouped(items, ORGANIZER_ORDER)}
    if event is not None and grant.can_see_event(event):
        items = event_nav(request, event)
        nav["event"] = {"object": event, "items": items, "groups": grouped(items, EVENT_ORDER)}
    return nav


@register.simple_tag(takes_context=True)
def block_text(context: template.Context, name: str) -> str:
    """The plain text of block ``name`` as the page that extends this template fills it.

    The event and organizer bases use it to build each page's ``<title>`` from its ``<h1>``
    block, so every page gets a title of its own without repeating the heading.
    """
    from django.template.loader_tags import BLOCK_CONTEXT_KEY
    from django.utils.html import strip_tags

    block_context = context.render_context.get(BLOCK_CONTEXT_KEY)
    node = block_context.get_block(name) if block_context is not None else None
    if node is None:
        return ""
    return " ".join(strip_tags(node.render(context)).split())


@register.simple_tag(takes_context=True)
def log_action_text(context: template.Context, entry: Any) -> str:
    """What a log entry says in words, with who did it: "Marked as paid by alex@example.org"."""
    from django.utils.translation import gettext

    from eventyay.control.log_actions import action_label, action_labels

    # The labels are collected once per rendered page, not once per entry.
    labels = context.render_context.get("eventyay_log_labels")
    if labels is None:
        labels = context.render_context["eventyay_log_labels"] = action_labels()
    label = action_label(entry.action_type, labels)
    if entry.user_id:
        return gettext("%(action)s by %(actor)s") % {"action": label, "actor": entry.user}
    if entry.api_token_id:
        return gettext("%(action)s by API token %(actor)s") % {"action": label, "actor": entry.api_token}
    if entry.oauth_application_id:
        return gettext("%(action)s by application %(actor)s") % {
            "action": label,
            "actor": entry.oauth_application,
        }
    return label
