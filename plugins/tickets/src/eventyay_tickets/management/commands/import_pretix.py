"""``python -m eventyay import-pretix``: import an event from pretix through its REST API."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventyay.base.models import Organizer
from eventyay_tickets.importers.pretix import PretixImportError, PretixSource, pretix_import

TOKEN_ENV = "PRETIX_TOKEN"


class Command(BaseCommand):
    help = (
        "Import an event from pretix (event, catalogue, orders, invoices, check-ins) into an event here. "
        "Running it again updates what was imported; --dry-run shows what it would do and saves nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="Address of the pretix installation, e.g. https://pretix.eu")
        parser.add_argument("--event", required=True, help="The pretix event as <organizer>/<event>")
        parser.add_argument(
            "--into",
            required=True,
            help="The event here as <organizer>/<event>; created if it does not exist",
        )
        parser.add_argument(
            "--token",
            help=f"pretix API token (better: the environment variable {TOKEN_ENV}, which stays out of the process list)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be imported; save nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = options["token"] or os.environ.get(TOKEN_ENV, "")
        if not token:
            raise CommandError(
                f"Give the pretix API token with --token or the environment variable {TOKEN_ENV}."
            )
        source_organizer, source_event = _pair(options["event"], "--event")
        organizer_slug, event_slug = _pair(options["into"], "--into")
        organizer = Organizer.objects.filter(slug=organizer_slug).first()
        if organizer is None:
            raise CommandError(f"There is no organizer “{organizer_slug}” here.")
        source = PretixSource(url=options["url"], token=token, organizer=source_organizer, event=source_event)
        try:
            report = pretix_import(
                source=source,
                organizer=organizer,
                event_slug=event_slug,
                dry_run=options["dry_run"],
                progress=self._progress if options["verbosity"] > 1 else None,
            )
        except PretixImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.as_text())

    def _progress(self, percentage: int) -> None:
        self.stderr.write(f"{percentage} %")


def _pair(value: str, option: str) -> tuple[str, str]:
    parts = value.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise CommandError(f"{option} takes <organizer>/<event>, not “{value}”.")
    return parts[0], parts[1]
