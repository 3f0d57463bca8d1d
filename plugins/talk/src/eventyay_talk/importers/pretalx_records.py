"""Finding and remembering imported rows by their id at pretalx (see ``models.imports``)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from eventyay.base.services.import_report import ImportReport
from eventyay_talk.models import TalkImport, TalkImportRecord

M = TypeVar("M", bound=models.Model)


class PretalxRecords:
    """The mapping of one import, loaded once and kept in step with what is written."""

    def __init__(self, talk_import: TalkImport, report: ImportReport) -> None:
        self.talk_import = talk_import
        self.report = report
        self._ids: dict[tuple[str, str], int] = {}
        for kind, source_id, object_id in TalkImportRecord.objects.filter(
            talk_import=talk_import
        ).values_list("kind", "source_id", "object_id"):
            self._ids[(kind, source_id)] = object_id

    def object_id(self, kind: str, source_id: Any) -> int | None:
        return self._ids.get((kind, str(source_id)))

    def get(self, model: type[M], kind: str, source_id: Any) -> M | None:
        """The row imported for ``source_id``; None if there is none (or it was deleted here)."""
        object_id = self.object_id(kind, source_id)
        if object_id is None:
            return None
        return model._default_manager.filter(pk=object_id).first()

    def remember(self, kind: str, source_id: Any, obj: models.Model) -> None:
        key = (kind, str(source_id))
        if self._ids.get(key) == obj.pk:
            return
        TalkImportRecord.objects.update_or_create(
            talk_import=self.talk_import,
            kind=kind,
            source_id=str(source_id),
            defaults={"object_id": obj.pk},
        )
        self._ids[key] = int(obj.pk)

    def save(
        self,
        kind: str,
        source_id: Any,
        model: type[M],
        fields: dict[str, Any],
        *,
        existing: M | None = None,
        **create: Any,
    ) -> M:
        """Update the row imported for ``source_id`` (or ``existing``) with ``fields``, or create it."""
        obj = self.get(model, kind, source_id) or existing
        created = obj is None
        if obj is None:
            obj = model(**create, **fields)
        else:
            for name, value in fields.items():
                setattr(obj, name, value)
        obj.save()
        self.remember(kind, source_id, obj)
        self.report.count(kind, created=created)
        return obj
