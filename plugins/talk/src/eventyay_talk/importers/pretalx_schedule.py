"""The released schedule versions of a pretalx event, with their slots, as versions here.

Only released versions are imported (pretalx's work-in-progress schedule has no version). A
version pretalx released is frozen there, so a second run finds its slots by their ids and
rewrites them unchanged. Each version's exports are rendered as at a release here, so its files
can be downloaded; the work-in-progress schedule, while still empty, starts from the latest
imported version, so planning goes on where it stopped at pretalx.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from eventyay_talk.importers.pretalx_values import i18n, moment, plain
from eventyay_talk.models import Room, Schedule, ScheduleExport, Submission, TalkSlot
from eventyay_talk.services.schedule import wip_schedule

if TYPE_CHECKING:
    from eventyay_talk.importers.pretalx import Importer


def import_schedules(importer: Importer) -> None:
    event, records = importer.event, importer.records
    released = [data for data in importer.results("schedules/") if data.get("version")]
    released.sort(key=lambda data: str(data.get("published") or ""))
    latest: Schedule | None = None
    for data in released:
        version = str(data["version"])[:190]
        schedule = records.save(
            "schedule",
            data["id"],
            Schedule,
            {
                "version": version,
                "published": moment(data.get("published")),
                "comment": plain(data.get("comment"), event.locale),
            },
            existing=Schedule.objects.filter(event=event, version=version).first(),
            event=event,
        )
        for slot in importer.results("slots/", {"schedule": str(data["id"])}):
            _slot(importer, schedule, slot)
        if not importer.report.dry_run and not schedule.exports.exists():
            _render_exports(schedule)
        latest = schedule
    if latest is not None:
        wip = wip_schedule(event=event)
        if not wip.slots.exists():
            TalkSlot.objects.bulk_create(
                TalkSlot(
                    schedule=wip,
                    kind=slot.kind,
                    submission_id=slot.submission_id,
                    description=slot.description,
                    room_id=slot.room_id,
                    start=slot.start,
                    end=slot.end,
                    guid=slot.guid,
                )
                for slot in latest.slots.all()
            )


def _slot(importer: Importer, schedule: Schedule, data: dict[str, Any]) -> None:
    records = importer.records
    submission = None
    if data.get("submission"):
        submission = records.get(Submission, "submission", data["submission"])
        if submission is None:
            importer.report.skip("slot", data["id"], _("Its proposal was not imported."))
            return
    room = records.get(Room, "room", data["room"]) if data.get("room") else None
    records.save(
        "slot",
        data["id"],
        TalkSlot,
        {
            "kind": TalkSlot.Kind.TALK if submission else TalkSlot.Kind.BREAK,
            "submission": submission,
            "description": (i18n(data.get("description")) or None) if submission is None else None,
            "room": room,
            "start": moment(data.get("start")),
            "end": moment(data.get("end")),
        },
        schedule=schedule,
    )


def _render_exports(schedule: Schedule) -> None:
    """The version's files, rendered once like at a release here (see ``schedule_release``)."""
    from eventyay_talk.exporters import exporters_for
    from eventyay_talk.selectors import schedule_export_data

    data = schedule_export_data(schedule)
    for exporter in exporters_for(schedule.event):
        content = exporter.render(data)
        if isinstance(content, str):
            content = content.encode()
        ScheduleExport.objects.create(
            schedule=schedule,
            identifier=exporter.identifier,
            content=content,
            content_type=exporter.content_type,
            etag=hashlib.sha256(content).hexdigest()[:32],
        )
