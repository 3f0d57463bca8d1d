"""Switching plugins on and off for an event, and their per-event settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from eventyay.base.models import EventPlugin
from eventyay.base.plugins.manager import call_plugin, installed_plugins
from eventyay.base.services.cache import content_version_bump
from eventyay.base.services.log import Actor, log_action

if TYPE_CHECKING:
    from eventyay.base.models import Event


class PluginStateError(ValidationError):
    """Raised when a requested plugin change breaks a rule; the message says which."""


def _with_requirements(names: Iterable[str]) -> list[str]:
    plugins = installed_plugins()
    result: list[str] = []
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name in result:
            continue
        result.append(name)
        info = plugins.get(name)
        if info is not None:
            pending.extend(info.requires)
    return result


def plan_plugin_change(
    *, event: Event, enable: Iterable[str] = (), disable: Iterable[str] = (), is_admin: bool = False
) -> tuple[set[str], set[str]]:
    """Validate a change and return the plugins it switches on and off.

    Enabling pulls in ``requires``; disabling a plugin another enabled plugin requires, enabling
    an unknown plugin or (for non-admins) a restricted one is refused.
    """
    plugins = installed_plugins()
    current = set(event.enabled_plugin_names)
    to_enable = _with_requirements(enable)
    for name in to_enable:
        info = plugins.get(name)
        if info is None:
            raise PluginStateError(_("There is no plugin named “%(name)s”.") % {"name": name})
        if info.restricted and not is_admin and name not in current:
            raise PluginStateError(
                _("“%(plugin)s” can only be enabled by an administrator of this installation.")
                % {"plugin": info.display_name}
            )
    disable_set = set(disable) - set(to_enable)
    for name in disable_set:
        if name not in plugins and name not in current:
            raise PluginStateError(_("There is no plugin named “%(name)s”.") % {"name": name})
    target = (current | set(to_enable)) - disable_set
    for name in sorted(target):
        info = plugins.get(name)
        if info is None:
            continue
        for required in info.requires:
            if required in disable_set:
                raise PluginStateError(
                    _("“%(required)s” cannot be disabled because “%(plugin)s” requires it.")
                    % {
                        "required": plugins[required].verbose_name if required in plugins else required,
                        "plugin": info.display_name,
                    }
                )
    return set(to_enable) - current, disable_set & current


def event_plugins_update(
    *,
    event: Event,
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
    actor: Actor = None,
    is_admin: bool = False,
) -> tuple[set[str], set[str]]:
    """Switch plugins on/off for ``event`` in one transaction, then call their lifecycle hooks."""
    switched_on, switched_off = plan_plugin_change(
        event=event, enable=enable, disable=disable, is_admin=is_admin
    )
    if not switched_on and not switched_off:
        return switched_on, switched_off
    with transaction.atomic():
        for name in sorted(switched_on):
            EventPlugin.objects.update_or_create(event=event, name=name, defaults={"enabled": True})
            log_action(
                action="eventyay.event.plugin.enabled",
                organizer=event.organizer,
                event=event,
                obj=event,
                actor=actor,
                data={"plugin": name},
            )
        if switched_off:
            EventPlugin.objects.filter(event=event, name__in=switched_off).update(enabled=False)
            for name in sorted(switched_off):
                log_action(
                    action="eventyay.event.plugin.disabled",
                    organizer=event.organizer,
                    event=event,
                    obj=event,
                    actor=actor,
                    data={"plugin": name},
                )
        from eventyay.base.services.webhooks import webhook_emit

        for name in sorted(switched_on):
            webhook_emit(event=event, action="plugin.enabled", object_id=name, data={"plugin": name})
        for name in sorted(switched_off):
            webhook_emit(event=event, action="plugin.disabled", object_id=name, data={"plugin": name})
        event.refresh_plugins()
        # The queryset update above sends no signal; public pages change with the plugin set.
        content_version_bump(event)

        call_lifecycle_hooks_on_commit(event=event, switched_on=switched_on, switched_off=switched_off)
    return switched_on, switched_off


def call_lifecycle_hooks_on_commit(
    *, event: Event, switched_on: Iterable[str] = (), switched_off: Iterable[str] = ()
) -> None:
    """After commit, call ``plugin_enabled``/``plugin_disabled`` on exactly the plugins switched."""
    switched_on, switched_off = sorted(switched_on), sorted(switched_off)

    def lifecycle_hooks() -> None:
        for name in switched_on:
            _call_isolated(name, "plugin_enabled", event)
        for name in switched_off:
            _call_isolated(name, "plugin_disabled", event)

    transaction.on_commit(lifecycle_hooks)


def _call_isolated(plugin: str, hook: str, event: Event) -> None:
    import logging

    try:
        call_plugin(plugin, hook, event=event)
    except Exception:
        logging.getLogger(__name__).exception("Plugin %s failed in %s", plugin, hook)


def plugin_settings_form_class(name: str) -> Any:
    info = installed_plugins().get(name)
    if info is None or not info.settings_form:
        return None
    return import_string(info.settings_form)


def event_plugin_settings(*, event: Event, plugin: str) -> dict[str, Any]:
    """The settings stored for ``plugin`` on ``event`` (empty until first saved): merge defaults in."""
    state = EventPlugin.objects.filter(event=event, name=plugin).first()
    return dict(state.settings) if state else {}


def event_plugin_settings_update(
    *, event: Event, plugin: str, values: dict[str, Any], actor: Actor = None
) -> dict[str, Any]:
    """Validate ``values`` with the plugin's settings form and store them."""
    form_class = plugin_settings_form_class(plugin)
    if form_class is None:
        raise PluginStateError(_("This plugin has no settings."))
    current = event_plugin_settings(event=event, plugin=plugin)
    form = form_class(data={**current, **values}, event=event)
    if not form.is_valid():
        raise ValidationError(form.errors)
    cleaned = dict(form.cleaned_data.items())
    with transaction.atomic():
        state, _created = EventPlugin.objects.select_for_update().get_or_create(event=event, name=plugin)
        before = dict(state.settings)
        state.settings = cleaned
        state.save(update_fields=["settings", "modified"])
        from eventyay.base.services.log import changes

        log_action(
            action="eventyay.event.plugin.settings.changed",
            organizer=event.organizer,
            event=event,
            obj=event,
            actor=actor,
            data={"plugin": plugin, **changes(before, cleaned)},
        )
    return cleaned
