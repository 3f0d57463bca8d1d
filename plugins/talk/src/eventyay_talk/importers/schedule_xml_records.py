"""The rows one event's schedule import wrote, by kind and key in the file (``TalkImportRecord``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from django.db import models

from eventyay.base.models import Event
from eventyay.base.services.import_report import ImportReport
from eventyay_talk.models import TalkImport, TalkImportRecord

M = TypeVar("M", bound=models.Model)


def _fingerprint(fields: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        return value.pk if isinstance(value, models.Model) else str(value)

    encoded = json.dumps({key: plain(value) for key, value in sorted(fields.items())}, sort_keys=True)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


class ScheduleXMLRecords:
    """The rows this event's schedule import wrote, by kind and key in the file."""

    def __init__(self, talk_import: TalkImport, event: Event, report: ImportReport) -> None:
        self.talk_import = talk_import
        self.event = event
        self.report = report
        self.ids: dict[tuple[str, str], tuple[int, str]] = {
            (kind, source_id): (object_id, modified)
            for kind, source_id, object_id, modified in TalkImportRecord.objects.filter(
                talk_import=talk_import
            ).values_list("kind", "source_id", "object_id", "source_modified")
        }

    def get(self, model: type[M], kind: str, key: str, **event_filter: Any) -> M | None:
        """The row imported for ``key``, looked up within this event only (never another one's)."""
        found = self.ids.get((kind, key))
        if found is None:
            return None
        return model._default_manager.filter(pk=found[0], **event_filter).first()

    def save(
        self, kind: str, key: str, model: type[M], fields: dict[str, Any], *, scoped: dict[str, Any]
    ) -> M:
        """Update the row imported for ``key`` with ``fields`` (when they changed), or create it."""
        modified = _fingerprint(fields)
        obj = self.get(model, kind, key, **scoped)
        if obj is not None and self.ids[(kind, key)][1] == modified:
            self.report.unchanged[kind] += 1
            return obj
        created = obj is None
        if obj is None:
            obj = model(**scoped, **fields)
        else:
            for name, value in fields.items():
                setattr(obj, name, value)
        obj.save()
        self.remember(kind, key, obj, modified)
        self.report.count(kind, created=created)
        return obj

    def remember(self, kind: str, key: str, obj: models.Model, modified: str = "") -> None:
        if self.ids.get((kind, key)) == (obj.pk, modified):
            return
        TalkImportRecord.objects.update_or_create(
            talk_import=self.talk_import,
            kind=kind,
            source_id=key[:190],
            defaults={"object_id": obj.pk, "source_modified": modified},
        )
        self.ids[(kind, key)] = (int(obj.pk), modified)
