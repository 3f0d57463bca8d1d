"""Finding the exporters plugins registered, and which of them an actor may run."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from eventyay.base.exporters.base import BaseExporter
from eventyay.base.plugins.manager import CORE, plugin_manager, registry

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer
    from eventyay.base.permissions import Grant

logger = logging.getLogger(__name__)

#: The two levels exporters are registered at.
EVENT = "event"
ORGANIZER = "organizer"


class ExporterNotFound(LookupError):
    """No exporter of that identifier is registered (or the plugin is off for the event)."""


@dataclass(frozen=True)
class RegisteredExporter:
    exporter: type[BaseExporter]
    #: The plugin that registered it; organizer exporters only see events that have it on.
    plugin: str

    @property
    def identifier(self) -> str:
        return self.exporter.identifier


def _unique(found: list[RegisteredExporter]) -> list[RegisteredExporter]:
    seen: dict[str, RegisteredExporter] = {}
    for entry in found:
        if not isinstance(entry.exporter, type) or not issubclass(entry.exporter, BaseExporter):
            logger.error("Plugin %s registered %r, which is no exporter class", entry.plugin, entry.exporter)
        elif entry.identifier in seen:
            logger.error(
                "Exporter %r of plugin %s ignored: the name is taken", entry.identifier, entry.plugin
            )
        else:
            seen[entry.identifier] = entry
    return sorted(
        seen.values(), key=lambda entry: (str(entry.exporter.category), str(entry.exporter.verbose_name))
    )


def _collect(hook_name: str, enabled: frozenset[str] | None, **kwargs: object) -> list[RegisteredExporter]:
    found: list[RegisteredExporter] = []
    for impl in reversed(getattr(plugin_manager.hook, hook_name).get_hookimpls()):
        # Each implementation is called on its own to learn which plugin an exporter comes from.
        plugin = registry.aliases.get(impl.plugin_name, impl.plugin_name)
        if enabled is not None and plugin != CORE and plugin not in enabled:
            continue
        result = impl.function(*[kwargs[name] for name in impl.argnames])
        found += [RegisteredExporter(exporter, plugin) for exporter in result or []]
    return _unique(found)


def event_exporters(event: Event) -> list[RegisteredExporter]:
    """Exporters of plugins enabled for ``event`` (``register_data_exporters``)."""
    return _collect("register_data_exporters", frozenset(event.enabled_plugin_names), event=event)


def organizer_exporters(organizer: Organizer) -> list[RegisteredExporter]:
    """Exporters across ``organizer``'s events (``register_organizer_exporters``)."""
    return _collect("register_organizer_exporters", None, organizer=organizer)


def permitted_events(organizer: Organizer, grant: Grant, entry: RegisteredExporter) -> QuerySet[Event]:
    """The organizer's events ``grant`` may export from with ``entry`` (its plugin switched on)."""
    from eventyay.base.models import Event

    events = Event.objects.filter(organizer=organizer)
    if entry.plugin != CORE:
        events = events.filter(plugin_states__name=entry.plugin, plugin_states__enabled=True)
    permission = entry.exporter.required_permission
    if grant.is_admin or permission in grant.all_events_permissions:
        return events.order_by("date_from", "pk")
    allowed = [pk for pk, permissions in grant.event_permissions.items() if permission in permissions]
    return events.filter(pk__in=allowed).order_by("date_from", "pk")


def may_run(grant: Grant, entry: RegisteredExporter, event: Event | None) -> bool:
    """Whether ``grant`` holds the exporter's permission (on ``event``, or on some event)."""
    permission = entry.exporter.required_permission
    if permission.startswith("organizer."):
        return grant.has_organizer_permission(permission)
    if event is not None:
        return grant.has_event_permission(event, permission)
    return (
        grant.is_admin
        or permission in grant.all_events_permissions
        or any(permission in permissions for permissions in grant.event_permissions.values())
    )


def exporter_for(
    *, organizer: Organizer, event: Event | None, identifier: str, grant: Grant
) -> tuple[RegisteredExporter, BaseExporter]:
    """The exporter ``identifier`` set up for one run; raises :class:`ExporterNotFound`.

    An exporter whose permission ``grant`` lacks counts as not found: nobody learns of an
    export they cannot run.
    """
    entries = event_exporters(event) if event is not None else organizer_exporters(organizer)
    for entry in entries:
        if entry.identifier == identifier and may_run(grant, entry, event):
            if event is not None:
                return entry, entry.exporter(organizer=organizer, event=event)
            events = permitted_events(organizer, grant, entry)
            return entry, entry.exporter(organizer=organizer, events=events)
    raise ExporterNotFound(identifier)


def exporters_for(*, organizer: Organizer, event: Event | None, grant: Grant) -> list[RegisteredExporter]:
    """The exporters ``grant`` may run, for the Export page and the API's list."""
    if event is not None:
        return [entry for entry in event_exporters(event) if may_run(grant, entry, event)]
    # A plugin's organizer exporters only show once the plugin is on for an event they may read.
    return [
        entry
        for entry in organizer_exporters(organizer)
        if may_run(grant, entry, None)
        and (entry.plugin == CORE or permitted_events(organizer, grant, entry).exists())
    ]
