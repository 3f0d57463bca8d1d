"""PDF text: runs by font coverage, CID fallbacks for Chinese, Japanese and Korean, widths."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from eventyay.base.exporters import (
    FONT,
    FONT_BOLD,
    PDFExporter,
    Progress,
    draw_text,
    fit_text,
    paragraph_markup,
    text_runs,
    text_width,
)
from eventyay.base.exporters.pdffonts import FONT_CHINESE, FONT_JAPANESE, FONT_KOREAN


def page_fonts(data: bytes) -> set[str]:
    """The base font names the pages of the PDF ``data`` refer to, without Helvetica: reportlab's
    canvas starts every page in it, whether or not anything is set in it."""
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return fonts - {"Helvetica"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_latin_greek_and_cyrillic_text_stays_in_one_dejavu_run():
    text = "Zoë Ångström – “Αλέξανδρος” Дмитрий €12…"
    assert text_runs(text) == [(FONT, text)]
    assert text_runs(text, FONT_BOLD) == [(FONT_BOLD, text)]


def test_han_characters_are_cut_into_runs_of_the_chinese_cid_font():
    assert text_runs("山田 太郎") == [(FONT_CHINESE, "山田"), (FONT, " "), (FONT_CHINESE, "太郎")]
    assert text_runs("Seat 张伟, Beijing") == [(FONT, "Seat "), (FONT_CHINESE, "张伟"), (FONT, ", Beijing")]


def test_kana_mark_japanese_so_the_han_of_the_same_text_take_the_japanese_font():
    assert text_runs("山田はなこ") == [(FONT_JAPANESE, "山田はなこ")]
    assert text_runs("カタカナ") == [(FONT_JAPANESE, "カタカナ")]


def test_hangul_and_the_hanja_next_to_it_take_the_korean_font():
    assert text_runs("서울시 강남구") == [(FONT_KOREAN, "서울시"), (FONT, " "), (FONT_KOREAN, "강남구")]
    assert text_runs("金 민수") == [(FONT_KOREAN, "金"), (FONT, " "), (FONT_KOREAN, "민수")]


def test_characters_no_font_has_stay_in_the_base_font():
    # An emoji is neither in DejaVu Sans nor in a CJK block (and beyond the CID fonts' UCS-2).
    assert text_runs("Party 🎉") == [(FONT, "Party 🎉")]
    assert text_runs("") == []


def test_paragraph_markup_escapes_and_wraps_only_the_fallback_runs():
    markup = paragraph_markup('A & B <b>"山"</b>')
    assert markup == f'A &amp; B &lt;b&gt;"<font name="{FONT_CHINESE}">山</font>"&lt;/b&gt;'
    assert paragraph_markup("Tom & Jerry") == "Tom &amp; Jerry"


def test_widths_add_up_the_runs_each_in_its_own_font():
    assert text_width("Seat 山田", FONT, 10) == pytest.approx(
        pdfmetrics.stringWidth("Seat ", FONT, 10) + pdfmetrics.stringWidth("山田", FONT_CHINESE, 10)
    )
    # Ideographs are square: 1000 units, so a 10 pt character is 10 pt wide.
    assert text_width("山田", FONT, 10) == pytest.approx(20)


def test_fit_text_cuts_by_printed_width_and_ends_with_an_ellipsis():
    assert fit_text("Short", FONT, 10, 100) == "Short"
    cut = fit_text("北京市朝阳区建国路八十八号现代城", FONT, 10, 60)
    assert cut == "北京市朝阳…"
    assert text_width(cut, FONT, 10) <= 60
    latin = fit_text("A rather long product description", FONT, 10, 60)
    assert latin.endswith("…") and text_width(latin, FONT, 10) <= 60


@pytest.mark.parametrize(("align", "offset"), [("left", 0), ("right", 1), ("centre", 0.5)])
def test_draw_text_sets_the_runs_in_one_line_aligned_at_x(align, offset):
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    width = draw_text(canvas, 300, 700, "Seat 山田 太郎", FONT, 10, align=align)
    canvas.showPage()
    canvas.save()
    data = buffer.getvalue()
    starts = []
    page = PdfReader(io.BytesIO(data)).pages[0]
    text = page.extract_text(
        visitor_text=lambda t, cm, tm, font, size: starts.append(tm[4]) if t.strip() else None
    )
    assert "Seat 山田 太郎" in text
    assert width == pytest.approx(text_width("Seat 山田 太郎", FONT, 10))
    assert starts[0] == pytest.approx(300 - offset * width)
    assert page_fonts(data) == {"DejaVuSans", FONT_CHINESE}


class ChineseCellsExporter(PDFExporter):
    identifier = "chinese"
    verbose_name = "Attendees"
    required_permission = "event.settings:read"

    def story(self, options, progress):
        rows = [
            ["张伟", "北京市朝阳区"],
            ["李娜 (Li Na)", "上海市 & <浦东>"],
            ["Zoë Ångström", "长" * 200],  # no spaces: breaks between characters
        ]
        return [self.heading("参会者名单 – Attendees"), self.table(["Name", "City"], rows, widths=[0.4, 0.6])]


class LatinExporter(PDFExporter):
    identifier = "latin"
    verbose_name = "Attendees"
    required_permission = "event.settings:read"

    def story(self, options, progress):
        return [self.table(["Name"], [["Zoë Ångström"], ["Дмитрий"]])]


def render(exporter) -> bytes:
    output = io.BytesIO()
    exporter.render({}, output, Progress())
    return output.getvalue()


@pytest.mark.django_db
def test_export_tables_print_chinese_cells_in_the_cid_font(make_event):
    event = make_event(slug="beijing")
    data = render(ChineseCellsExporter(organizer=event.organizer, event=event))
    assert page_fonts(data) == {"DejaVuSans", "DejaVuSans-Bold", FONT_CHINESE}
    text = pdf_text(data)
    for expected in ("参会者名单 – Attendees", "张伟", "北京市朝阳区", "李娜 (Li Na)", "上海市 & <浦东>"):
        assert expected in text
    # The long cell wraps within its column instead of running off the page.
    assert text.count("长") == 200
    assert max(len(line) for line in text.splitlines() if "长" in line) < 100


@pytest.mark.django_db
def test_latin_only_exports_refer_to_no_cid_font(make_event):
    event = make_event(slug="latin")
    assert page_fonts(render(LatinExporter(organizer=event.organizer, event=event))) == {
        "DejaVuSans",
        "DejaVuSans-Bold",
    }
