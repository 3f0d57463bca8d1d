"""The exhibition's data export: leads (accepted contact requests) of every exhibitor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from eventyay.base.exporters import Column, ListExporter
from eventyay_video import exhibition
from eventyay_video.hooks import READ_PERMISSION


class LeadsExporter(ListExporter):
    identifier = "video_leads"
    verbose_name = _("Exhibitor leads")
    description = _("Attendees whose contact request an exhibitor's staff accepted, per exhibitor.")
    category = _("Online event")
    required_permission = READ_PERMISSION

    def columns(self, options: dict[str, Any]) -> Sequence[Column]:
        return [Column(key, label) for key, label in exhibition.LEAD_COLUMNS]

    def total(self, options: dict[str, Any]) -> int | None:
        assert self.event is not None
        return exhibition.leads(event=self.event).count()

    def rows(self, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        assert self.event is not None
        return exhibition.lead_rows(exhibition.leads(event=self.event).iterator(chunk_size=500))
