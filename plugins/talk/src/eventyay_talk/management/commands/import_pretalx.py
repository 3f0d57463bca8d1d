"""``python -m eventyay import-pretalx``: import an event's talk data from pretalx through its API."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventyay.base.models import Organizer
from eventyay_talk.importers.pretalx import PretalxImportError, PretalxSource, pretalx_import

TOKEN_ENV = "PRETALX_TOKEN"


class Command(BaseCommand):
    help = (
        "Import an event from pretalx (session types, tracks, rooms, questions, speakers, proposals, "
        "reviews, answers, released schedules) into an event here. Running it again updates what was "
        "imported; --dry-run shows what it would do and saves nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", required=True, help="Address of the pretalx installation, e.g. https://pretalx.com"
        )
        parser.add_argument("--event", required=True, help="The event's short form at pretalx")
        parser.add_argument(
            "--into",
            help="The event here as <organizer>/<event>; created if it does not exist. "
            "Without it: the only organizer here, and the pretalx event's short form",
        )
        parser.add_argument(
            "--token",
            help=f"pretalx API token (better: the environment variable {TOKEN_ENV}, which stays out of the process list)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be imported; save nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = options["token"] or os.environ.get(TOKEN_ENV, "")
        if not token:
            raise CommandError(
                f"Give the pretalx API token with --token or the environment variable {TOKEN_ENV}."
            )
        organizer, event_slug = self._target(options["into"], options["event"])
        source = PretalxSource(url=options["url"], token=token, event=options["event"])
        try:
            report = pretalx_import(
                source=source,
                organizer=organizer,
                event_slug=event_slug,
                dry_run=options["dry_run"],
                progress=self._progress if options["verbosity"] > 1 else None,
            )
        except PretalxImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.as_text())

    def _target(self, into: str | None, source_event: str) -> tuple[Organizer, str]:
        if into is None:
            organizers = list(Organizer.objects.all()[:2])
            if len(organizers) != 1:
                raise CommandError(
                    "There is more than one organizer here (or none): name the target with --into."
                )
            return organizers[0], source_event
        parts = into.strip("/").split("/")
        if len(parts) != 2 or not all(parts):
            raise CommandError(f"--into takes <organizer>/<event>, not “{into}”.")
        organizer = Organizer.objects.filter(slug=parts[0]).first()
        if organizer is None:
            raise CommandError(f"There is no organizer “{parts[0]}” here.")
        return organizer, parts[1]

    def _progress(self, percentage: int) -> None:
        self.stderr.write(f"{percentage} %")
