"""Finding and remembering imported rows by their id at the source (see ``models.imports``)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from eventyay.base.services.import_report import ImportReport
from eventyay_tickets.models import PretixImport, PretixImportRecord

M = TypeVar("M", bound=models.Model)


class Records:
    """The mapping of one import, loaded once and kept in step with what is written."""

    def __init__(self, pretix_import: PretixImport, report: ImportReport) -> None:
        self.pretix_import = pretix_import
        self.report = report
        self._ids: dict[tuple[str, str], tuple[int, str]] = {}
        if pretix_import.pk is not None:
            for kind, source_id, object_id, modified in PretixImportRecord.objects.filter(
                pretix_import=pretix_import
            ).values_list("kind", "source_id", "object_id", "source_modified"):
                self._ids[(kind, source_id)] = (object_id, modified)

    def object_id(self, kind: str, source_id: Any) -> int | None:
        found = self._ids.get((kind, str(source_id)))
        return found[0] if found else None

    def modified(self, kind: str, source_id: Any) -> str | None:
        found = self._ids.get((kind, str(source_id)))
        return found[1] if found else None

    def get(self, model: type[M], kind: str, source_id: Any) -> M | None:
        """The row imported for ``source_id``; None if there is none (or it was deleted here)."""
        object_id = self.object_id(kind, source_id)
        if object_id is None:
            return None
        return model._default_manager.filter(pk=object_id).first()

    def remember(self, kind: str, source_id: Any, obj: models.Model, modified: str = "") -> None:
        key = (kind, str(source_id))
        known = self._ids.get(key)
        if known == (obj.pk, modified):
            return
        PretixImportRecord.objects.update_or_create(
            pretix_import=self.pretix_import,
            kind=kind,
            source_id=str(source_id),
            defaults={"object_id": obj.pk, "source_modified": modified},
        )
        self._ids[key] = (int(obj.pk), modified)

    def save(self, kind: str, source_id: Any, model: type[M], fields: dict[str, Any], **create: Any) -> M:
        """Update the row imported for ``source_id`` with ``fields``, or create it (with ``create``)."""
        obj = self.get(model, kind, source_id)
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
