"""The released schedule versions of a pretalx event, with their slots, as versions here.

Only released versions are imported: pretalx lists its work-in-progress schedule too, with the
version ``wip`` (API v2) or none (API v1) and no publication moment. Of a released version only
the slots it publishes are imported (pretalx keeps unscheduled and unconfirmed talks in it,
invisible), like a release here publishes only scheduled confirmed talks and breaks. A version
pretalx released is frozen there, so a second run finds its slots by their ids and rewrites
them unchanged. Each version's exports are rendered as at a release here, so its files
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

#: The version name pretalx's API v2 gives the work-in-progress schedule.
WIP_VERSION = "wip"


def import_schedules(importer: Importer) -> None:
    event, records = importer.event, importer.records
    released = [data for data in importer.results("schedules/") if _released(data)]
    released.sort(key=lambda data: str(data.get("published") or ""))
    latest: Schedule | None = None
    for data in released:
        if "comment" not in data:
            # API v2 lists the versions without their comments; each version's own answer has it.
            data = {**data, **importer.api.get(f"{importer.source.event_path}schedules/{data['id']}/")}
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


def _released(data: dict[str, Any]) -> bool:
    return bool(data.get("version")) and data.get("version") != WIP_VERSION and bool(data.get("published"))


def _published(data: dict[str, Any]) -> bool:
    """Whether a slot of a released version is on its public grid.

    API v2 says so in ``is_visible``; without it, a slot with a room and a start is.
    """
    if "is_visible" in data:
        return bool(data["is_visible"])
    return bool(data.get("room") and data.get("start"))


def _slot(importer: Importer, schedule: Schedule, data: dict[str, Any]) -> None:
    records = importer.records
    if not _published(data):
        importer.report.skip(
            "slot", data["id"], _("pretalx does not publish it in this version (unscheduled or unconfirmed).")
        )
        return
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
