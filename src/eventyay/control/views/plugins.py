"""Plugins: an event's (switching on and off, settings forms) and an organizer's (level organizer)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import Event
from eventyay.base.plugins.config import CATEGORIES
from eventyay.base.plugins.manager import PluginInfo, broken_plugins, installed_plugins
from eventyay.base.services import organizer_plugins as organizer_plugin_services
from eventyay.base.services import plugins as plugin_services
from eventyay.control.forms import add_service_errors, bootstrap_widget
from eventyay.control.permissions import event_view, organizer_view, request_grant

READ = "event.settings:read"
WRITE = "event.settings:write"

CATEGORY_LABELS = {
    "FEATURE": _("Features"),
    "PAYMENT": _("Payment providers"),
    "INTEGRATION": _("Integrations"),
    "EXPORT": _("Exports"),
    "CMS": _("Content"),
    "CUSTOMIZATION": _("Customization"),
}


def _shown_plugins(user: Any, event: Event) -> list[PluginInfo]:
    """Visible plugins; restricted ones for administrators, or where one is already on."""
    enabled = event.enabled_plugin_names
    return [
        info
        for info in installed_plugins().values()
        if info.visible and (not info.restricted or user.is_superuser or info.name in enabled)
    ]


def _plugin_groups(request: HttpRequest, event: Event) -> list[dict[str, Any]]:
    plugins = installed_plugins()
    enabled = event.enabled_plugin_names
    # On for the whole organizer: shown as such, switched on the organizer's page only.
    organizer_wide = organizer_plugin_services.organizer_plugin_names(event.organizer)
    groups = []
    for category in CATEGORIES:
        entries = [
            {
                "info": info,
                "enabled": info.name in enabled,
                "requires": [plugins[r].verbose_name if r in plugins else r for r in info.requires],
                "locked": info.restricted and not request.user.is_superuser,  # type: ignore[union-attr]
                "organizer_wide": info.level == "organizer" and info.name in organizer_wide,
            }
            for info in _shown_plugins(request.user, event)
            if info.category == category
        ]
        if entries:
            groups.append(
                {"category": category, "label": CATEGORY_LABELS.get(category, category), "plugins": entries}
            )
    return groups


def _render_plugins(
    request: HttpRequest, event: Event, errors: dict[str, str], status: int = 200
) -> HttpResponse:
    grant = request_grant(request, event.organizer)
    groups = _plugin_groups(request, event)
    shown = {entry["info"].name for group in groups for entry in group["plugins"]}
    return render(
        request,
        "eventyay_control/events/plugins.html",
        {
            "event": event,
            "groups": groups,
            "errors": errors,
            "general_errors": [message for name, message in errors.items() if name not in shown],
            "can_write": grant.has_event_permission(event, WRITE),
            "can_manage_organizer": grant.has_organizer_permission(ORGANIZER_SETTINGS),
            "broken": broken_plugins() if request.user.is_superuser else [],  # type: ignore[union-attr]
        },
        status=status,
    )


@event_view(READ)
def event_plugins(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    return _render_plugins(request, request.event, {})  # type: ignore[attr-defined]


@require_POST
@event_view(WRITE)
def event_plugin_toggle(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    name = request.POST.get("plugin", "")
    action = request.POST.get("action", "")
    if action not in ("enable", "disable") or name not in installed_plugins():
        return _render_plugins(request, ev, {name: _("Unknown plugin or action.")}, status=400)
    if name in organizer_plugin_services.organizer_plugin_names(ev.organizer):
        message = _("This plugin is on for the whole organizer; switch it on the organizer's plugin page.")
        return _render_plugins(request, ev, {name: message}, status=400)
    try:
        switched_on, switched_off = plugin_services.event_plugins_update(
            event=ev,
            enable=[name] if action == "enable" else [],
            disable=[name] if action == "disable" else [],
            actor=request.user,
            is_admin=request.user.is_superuser,  # type: ignore[union-attr]
        )
    except ValidationError as error:
        return _render_plugins(request, ev, {name: " ".join(error.messages)}, status=400)
    plugins = installed_plugins()
    if switched_on:
        names = ", ".join(plugins[n].verbose_name if n in plugins else n for n in sorted(switched_on))
        messages.success(request, _("Switched on: %s.") % names)
    if switched_off:
        names = ", ".join(plugins[n].verbose_name if n in plugins else n for n in sorted(switched_off))
        messages.success(request, _("Switched off: %s.") % names)
    return redirect("control:event.plugins", organizer=ev.organizer.slug, event=ev.slug)


@event_view(WRITE)
def event_plugin_settings(request: HttpRequest, organizer: str, event: str, plugin: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    info = installed_plugins().get(plugin)
    form_class = plugin_services.plugin_settings_form_class(plugin)
    if info is None or form_class is None or plugin not in ev.enabled_plugin_names:
        raise Http404()
    current = plugin_services.event_plugin_settings(event=ev, plugin=plugin)
    if request.method == "POST":
        form = form_class(data=request.POST, event=ev)
        for field in form.fields.values():
            bootstrap_widget(field.widget)
        if form.is_valid():
            values = {
                name: field.widget.value_from_datadict(request.POST, request.FILES, form.add_prefix(name))
                for name, field in form.fields.items()
            }
            try:
                plugin_services.event_plugin_settings_update(
                    event=ev, plugin=plugin, values=values, actor=request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Your changes have been saved."))
                return redirect(
                    "control:event.plugin.settings", organizer=ev.organizer.slug, event=ev.slug, plugin=plugin
                )
    else:
        form = form_class(initial=current, event=ev)
        for field in form.fields.values():
            bootstrap_widget(field.widget)
    return render(
        request, "eventyay_control/events/plugin_settings.html", {"event": ev, "info": info, "form": form}
    )


ORGANIZER_SETTINGS = "organizer.settings:write"


class OrganizerPluginsForm(forms.Form):
    """The plugins of level organizer to have on; those offered but not chosen are switched off."""

    plugins = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, plugins: list[PluginInfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["plugins"])
        field.choices = [(info.name, info.display_name) for info in plugins]


def _organizer_plugin_choices(user: Any, enabled: frozenset[str]) -> list[PluginInfo]:
    """Visible plugins of level organizer; restricted ones for administrators, or where one is on."""
    return sorted(
        (
            info
            for info in installed_plugins().values()
            if info.level == "organizer"
            and info.visible
            and (not info.restricted or user.is_superuser or info.name in enabled)
        ),
        key=lambda info: info.display_name.lower(),
    )


@organizer_view(ORGANIZER_SETTINGS)
def organizer_plugins(request: HttpRequest, organizer: str) -> HttpResponse:
    """Switch the plugins of level organizer on and off for the whole organizer."""
    org = request.organizer  # type: ignore[attr-defined]
    enabled = organizer_plugin_services.organizer_plugin_names(org)
    shown = _organizer_plugin_choices(request.user, enabled)
    form = OrganizerPluginsForm(
        data=request.POST if request.method == "POST" else None,
        plugins=shown,
        initial={"plugins": sorted(enabled & {info.name for info in shown})},
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["plugins"])
        offered = {info.name for info in shown}
        try:
            switched_on, switched_off = organizer_plugin_services.organizer_plugins_update(
                organizer=org,
                enable=chosen,
                disable=offered - chosen,
                actor=request.user,
                is_admin=request.user.is_superuser,  # type: ignore[union-attr]
            )
        except ValidationError as error:
            form.add_error("plugins", error)
        else:
            _report_switched(request, switched_on, switched_off)
            return redirect("control:organizer.plugins", organizer=org.slug)
    selected = set(form["plugins"].value() or ())
    return render(
        request,
        "eventyay_control/organizers/plugins.html",
        {
            "organizer": org,
            "form": form,
            "entries": [
                {"info": info, "checked": info.name in selected, "enabled": info.name in enabled}
                for info in shown
            ],
        },
        status=400 if form.errors else 200,
    )


def _report_switched(request: HttpRequest, switched_on: set[str], switched_off: set[str]) -> None:
    plugins = installed_plugins()
    if switched_on:
        names = ", ".join(plugins[n].verbose_name if n in plugins else n for n in sorted(switched_on))
        messages.success(request, _("Switched on: %s.") % names)
    if switched_off:
        names = ", ".join(plugins[n].verbose_name if n in plugins else n for n in sorted(switched_off))
        messages.success(request, _("Switched off: %s.") % names)
    if not switched_on and not switched_off:
        messages.success(request, _("Your changes have been saved."))
