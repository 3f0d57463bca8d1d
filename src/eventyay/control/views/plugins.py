"""An event's plugins: switching them on and off, and their settings forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import Event
from eventyay.base.plugins.config import CATEGORIES
from eventyay.base.plugins.manager import PluginInfo, broken_plugins, installed_plugins
from eventyay.base.services import plugins as plugin_services
from eventyay.control.forms import add_service_errors, bootstrap_widget
from eventyay.control.permissions import event_view, request_grant

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
    groups = []
    for category in CATEGORIES:
        entries = [
            {
                "info": info,
                "enabled": info.name in enabled,
                "requires": [plugins[r].verbose_name if r in plugins else r for r in info.requires],
                "locked": info.restricted and not request.user.is_superuser,  # type: ignore[union-attr]
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
