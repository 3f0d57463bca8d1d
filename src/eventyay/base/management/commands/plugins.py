"""``python -m eventyay plugins``: list installed plugins, or switch one on or off for an event."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event
from eventyay.base.plugins.manager import plugin_report
from eventyay.base.services.plugins import PluginStateError, event_plugins_update


class Command(BaseCommand):
    help = (
        "List every installed plugin (name, module, version, category, compatibility, hooks), "
        "including those left off and why; or switch plugins on or off for one event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the list as JSON.")
        actions = parser.add_subparsers(dest="action", metavar="{enable,disable}")
        for action, verb in (("enable", "Switch on"), ("disable", "Switch off")):
            sub = actions.add_parser(action, help=f"{verb} plugins for an event.")
            sub.add_argument("event", metavar="ORGANIZER/EVENT", help="The event, e.g. demo/democon.")
            sub.add_argument("plugins", nargs="+", metavar="PLUGIN", help="Plugin names, as listed.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action in ("enable", "disable"):
            self.change(action, options["event"], options["plugins"])
        elif options["json"]:
            self.stdout.write(json.dumps(plugin_report(), indent=2))
        else:
            self.list_plugins()

    def list_plugins(self) -> None:
        rows = plugin_report()
        if not rows:
            self.stdout.write("No plugins are installed.")
        for row in rows:
            if row["status"] == "ok":
                title = f"{row['name']} {row['version']}".rstrip()
                self.stdout.write(self.style.SUCCESS(title) + f"  {row['verbose_name']} ({row['category']})")
                details = [
                    ("module", row["module"]),
                    ("compatibility", row["compatibility"] or "any eventyay"),
                    ("requires", ", ".join(row["requires"])),
                    ("hooks", ", ".join(row["hooks"])),
                ]
                flags = [flag for flag in ("restricted",) if row[flag]] + (
                    [] if row["visible"] else ["hidden"]
                )
                if flags:
                    details.append(("flags", ", ".join(flags)))
            else:
                self.stdout.write(self.style.ERROR(f"{row['name']}  left off ({row['status']})"))
                details = [("module", row["module"]), ("reason", row["error"])]
            for label, value in details:
                if value:
                    self.stdout.write(f"    {label}: {value}")

    def change(self, action: str, event_ref: str, plugins: list[str]) -> None:
        organizer_slug, _sep, event_slug = event_ref.strip("/").partition("/")
        if not organizer_slug or not event_slug or "/" in event_slug:
            raise CommandError(f"Give the event as ORGANIZER/EVENT (e.g. demo/democon), not {event_ref!r}.")
        with scopes_disabled():
            event = (
                Event.objects.select_related("organizer")
                .filter(organizer__slug=organizer_slug, slug=event_slug)
                .first()
            )
        if event is None:
            raise CommandError(f"There is no event {organizer_slug}/{event_slug}.")
        changes = {"enable": plugins} if action == "enable" else {"disable": plugins}
        with scope(organizer=event.organizer):
            try:
                switched_on, switched_off = event_plugins_update(event=event, is_admin=True, **changes)
            except PluginStateError as exc:
                raise CommandError(" ".join(exc.messages))
        changed = sorted(switched_on or switched_off)
        if changed:
            verb = "Enabled" if action == "enable" else "Disabled"
            self.stdout.write(self.style.SUCCESS(f"{verb} for {event_ref}: {', '.join(changed)}"))
        else:
            state = "on" if action == "enable" else "off"
            self.stdout.write(f"Nothing changed: {', '.join(plugins)} already {state} for {event_ref}.")
