"""Data exports: the contract plugins implement and the bases they build on.

A plugin registers exporter classes through the ``register_data_exporters`` (event level) and
``register_organizer_exporters`` (across an organizer's events) hooks. eventyay lists them on
the Export pages and in the API, validates the chosen options, and renders the file in a
background job (:mod:`eventyay.base.services.jobs`) into the private storage.
"""

from eventyay.base.exporters.base import BaseExporter, Progress, input_parameters, options_form
from eventyay.base.exporters.pdf import PDFExporter
from eventyay.base.exporters.pdffonts import (
    FONT,
    FONT_BOLD,
    draw_text,
    fit_text,
    paragraph_markup,
    register_fonts,
    text_runs,
    text_width,
)
from eventyay.base.exporters.registry import (
    ExporterNotFound,
    event_exporters,
    exporter_for,
    organizer_exporters,
)
from eventyay.base.exporters.tabular import (
    FORMULA_TRIGGERS,
    Column,
    ListExporter,
    MultiSheetListExporter,
    Sheet,
    neutralise_formula,
)

__all__ = [
    "FONT",
    "FONT_BOLD",
    "FORMULA_TRIGGERS",
    "BaseExporter",
    "Column",
    "ExporterNotFound",
    "ListExporter",
    "MultiSheetListExporter",
    "PDFExporter",
    "Progress",
    "Sheet",
    "draw_text",
    "event_exporters",
    "exporter_for",
    "fit_text",
    "input_parameters",
    "neutralise_formula",
    "options_form",
    "organizer_exporters",
    "paragraph_markup",
    "register_fonts",
    "text_runs",
    "text_width",
]
