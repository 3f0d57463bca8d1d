"""``python -m eventyay import-schedule-xml``: import a frab/c3voc schedule.xml into an event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventyay.base.models import Organizer
from eventyay_talk.importers.schedule_xml import ScheduleXMLError, schedule_xml_import, schedule_xml_read


class Command(BaseCommand):
    help = (
        "Import a schedule in the frab/c3voc XML format (schedule.xml of pretalx, frab or eventyay) "
        "into an event here: rooms, tracks, types, talks, speakers and a released version. Running it "
        "again updates what was imported; --dry-run shows what it would do and saves nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="An http(s) address of a schedule.xml, or a file")
        parser.add_argument(
            "--into",
            required=True,
            help="The event here as <organizer>/<event>; created if it does not exist",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be imported; save nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        parts = options["into"].strip("/").split("/")
        if len(parts) != 2 or not all(parts):
            raise CommandError(f"--into takes <organizer>/<event>, not “{options['into']}”.")
        organizer = Organizer.objects.filter(slug=parts[0]).first()
        if organizer is None:
            raise CommandError(f"There is no organizer “{parts[0]}” here.")
        try:
            content = schedule_xml_read(options["source"])
            report = schedule_xml_import(
                content=content,
                source_url=options["source"],
                organizer=organizer,
                event_slug=parts[1],
                dry_run=options["dry_run"],
                progress=self._progress if options["verbosity"] > 1 else None,
            )
        except ScheduleXMLError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.as_text())

    def _progress(self, percentage: int) -> None:
        self.stderr.write(f"{percentage} %")
