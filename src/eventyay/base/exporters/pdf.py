"""Printable exports: :class:`PDFExporter` lays out a story of reportlab flowables.

Pages carry the export's title, the event's name and "Page X of Y"; tables made with
:meth:`PDFExporter.table` repeat their header row on every page. Text is set in DejaVu Sans,
shipped with eventyay, so accents, dashes and Greek, Cyrillic or Arabic names print as typed;
Chinese, Japanese and Korean characters in reportlab's CID fonts (:mod:`.pdffonts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO, Any

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, LongTable, Paragraph, SimpleDocTemplate, TableStyle
from reportlab.platypus.flowables import Spacer

from eventyay.base.exporters.base import BaseExporter, Progress
from eventyay.base.exporters.pdffonts import (
    FONT,
    FONT_BOLD,
    draw_text,
    needs_fallback,
    paragraph_markup,
    register_fonts,
)

__all__ = ["FONT", "FONT_BOLD", "PDFExporter", "register_fonts"]


class _NumberedCanvas(Canvas):
    """Draws "Page X of Y" once the number of pages is known: pages are kept until saved."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFillColor(colors.grey)
            draw_text(
                self,
                self._pagesize[0] - 15 * mm,
                10 * mm,
                _("Page %(page)s of %(total)s") % {"page": self._pageNumber, "total": total},
                FONT,
                8,
                align="right",
            )
            super().showPage()
        super().save()


class PDFExporter(BaseExporter):
    """An export laid out as a PDF: implement :meth:`story`, returning flowables.

    Use :meth:`paragraph`, :meth:`heading` and :meth:`table` for text in the bundled font.
    Example::

        class CheckinListExporter(PDFExporter):
            identifier = "checkinlist_pdf"
            verbose_name = _("Check-in list (PDF)")
            required_permission = "event.orders:read"

            def story(self, options, progress):
                rows = [[t.attendee_name, t.product.name, "☐"] for t in tickets]
                return [self.heading(self.verbose_name), self.table([_("Name"), _("Product"), ""], rows)]
    """

    #: Landscape pages for wide tables.
    landscape: bool = False

    def story(self, options: dict[str, Any], progress: Progress) -> Iterable[Flowable]:
        raise NotImplementedError

    def title(self, options: dict[str, Any]) -> str:
        return str(self.verbose_name)

    # -- building blocks -------------------------------------------------------------------------

    @property
    def styles(self) -> dict[str, ParagraphStyle]:
        register_fonts()
        return {
            "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11),
            "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10),
            "head": ParagraphStyle("head", fontName=FONT_BOLD, fontSize=8, leading=10),
            "h1": ParagraphStyle("h1", fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=4 * mm),
            "h2": ParagraphStyle(
                "h2", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=4 * mm, spaceAfter=2 * mm
            ),
        }

    def paragraph(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain text (escaped; line breaks kept; Chinese, Japanese and Korean
        characters set in a CID font and, having no spaces between words, broken anywhere)."""
        paragraph_style = self.styles[style]
        if needs_fallback(str(text), paragraph_style.fontName):
            paragraph_style = ParagraphStyle(f"{style}-cjk", parent=paragraph_style, wordWrap="CJK")
        markup = paragraph_markup(str(text), paragraph_style.fontName)
        return Paragraph(markup.replace("\n", "<br/>"), paragraph_style)

    def heading(self, text: str, level: int = 1) -> Paragraph:
        return self.paragraph(text, "h1" if level == 1 else "h2")

    def spacer(self, height_mm: float = 4) -> Spacer:
        return Spacer(1, height_mm * mm)

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        widths: Sequence[float] | None = None,
    ) -> LongTable:
        """A table whose header row repeats on every page; ``widths`` are fractions of the page."""
        data = [[self.paragraph(str(label), "head") for label in header]]
        data += [
            [self.paragraph("" if value is None else str(value), "cell") for value in row] for row in rows
        ]
        usable = self._pagesize()[0] - 30 * mm
        col_widths = [usable * fraction for fraction in widths] if widths else None
        table = LongTable(data, colWidths=col_widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#adb5bd")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    # -- rendering -------------------------------------------------------------------------------

    def _pagesize(self) -> tuple[float, float]:
        return landscape(A4) if self.landscape else A4

    def render(self, options: dict[str, Any], output: IO[bytes], progress: Progress) -> tuple[str, str]:
        register_fonts()
        title = self.title(options)
        subtitle = str(self.event.name) if self.event is not None else str(self.organizer.name)

        def decorate(canvas: Canvas, document: SimpleDocTemplate) -> None:
            canvas.saveState()
            canvas.setFillColor(colors.grey)
            draw_text(canvas, 15 * mm, 10 * mm, f"{subtitle} · {title}", FONT, 8)
            canvas.restoreState()

        document = SimpleDocTemplate(
            output,
            pagesize=self._pagesize(),
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
            title=title,
            author=subtitle,
        )
        story = list(self.story(options, progress))
        document.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_NumberedCanvas)
        progress(100)
        return self.base_filename() + ".pdf", "application/pdf"
