"""The report an importer gives at the end: counts per type, and every item it skipped and why.

The command line prints it (:meth:`ImportReport.as_text`), a control-panel job stores it as
JSON (:meth:`ImportReport.as_dict`) and its page shows it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class SkippedItem:
    kind: str
    source_id: str
    reason: str


@dataclass
class ImportReport:
    dry_run: bool = False
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    skipped: list[SkippedItem] = field(default_factory=list)
    #: Remarks on the import as a whole (e.g. a setting that has no counterpart).
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str, *, created: bool) -> None:
        (self.created if created else self.updated)[kind] += 1

    def skip(self, kind: str, source_id: Any, reason: str) -> None:
        self.skipped.append(SkippedItem(kind=kind, source_id=str(source_id), reason=reason))

    def kinds(self) -> list[str]:
        seen = set(self.created) | set(self.updated) | set(self.unchanged) | {s.kind for s in self.skipped}
        return sorted(seen)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": [
                {
                    "kind": kind,
                    "created": self.created[kind],
                    "updated": self.updated[kind],
                    "unchanged": self.unchanged[kind],
                    "skipped": sum(1 for s in self.skipped if s.kind == kind),
                }
                for kind in self.kinds()
            ],
            "skipped": [{"kind": s.kind, "source_id": s.source_id, "reason": s.reason} for s in self.skipped],
            "notes": list(self.notes),
        }

    def as_text(self) -> str:
        lines = [_("Dry run: nothing was saved.") if self.dry_run else _("Import finished.")]
        for row in self.as_dict()["counts"]:
            lines.append(
                _(
                    "%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(skipped)d skipped"
                )
                % row
            )
        for item in self.skipped:
            lines.append(
                _("Skipped %(kind)s %(id)s: %(reason)s")
                % {"kind": item.kind, "id": item.source_id, "reason": item.reason}
            )
        lines.extend(self.notes)
        return "\n".join(lines)
