"""Tickets and invoices print Chinese, Japanese and Korean names in reportlab's CID fonts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django_scopes import scope
from pypdf import PdfReader

from eventyay.base.exporters import FONT, text_width

from .backoffice import place_order

pytestmark = pytest.mark.django_db


def page_fonts(data: bytes) -> set[str]:
    """The base font names the pages refer to (reportlab's canvas always adds Helvetica)."""
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return fonts - {"Helvetica"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_ticket_for_a_japanese_name_prints_it_in_a_cid_font(catalogue):
    from eventyay_tickets.services.documents import ticket_pdf_render

    order = place_order(catalogue, name="山田 太郎")
    with scope(organizer=catalogue.event.organizer):
        catalogue.event.settings.set("tickets_venue", "東京ビッグサイト\nTokyo")
        data = ticket_pdf_render(order.positions.get())
    text = pdf_text(data)
    assert "山田 太郎" in text
    assert "東京ビッグサイト" in text
    assert "Conference shop" in text and order.code in text
    # Han alone: the Chinese face; the venue's kana make its line Japanese. Latin stays DejaVu.
    assert page_fonts(data) == {"DejaVuSans", "DejaVuSans-Bold", "STSong-Light", "HeiseiKakuGo-W5"}


def test_a_latin_ticket_refers_to_no_cid_font(catalogue):
    from eventyay_tickets.services.documents import ticket_pdf_render

    order = place_order(catalogue, name="Zoë Ångström – Дмитрий")
    with scope(organizer=catalogue.event.organizer):
        data = ticket_pdf_render(order.positions.get())
    assert "Zoë Ångström – Дмитрий" in pdf_text(data)
    assert page_fonts(data) == {"DejaVuSans", "DejaVuSans-Bold"}


def test_an_invoice_prints_a_korean_address_and_cuts_long_descriptions_by_width(catalogue):
    from eventyay_tickets.services.documents import DESCRIPTION_WIDTH, invoice_pdf_render
    from eventyay_tickets.services.invoices import invoice_create

    order = place_order(catalogue, name="김민수")
    with scope(organizer=catalogue.event.organizer):
        order.event = catalogue.event
        invoice = invoice_create(order=order)
        invoice.invoice_to = "김민수\n서울특별시 강남구 테헤란로 123\nbuyer@example.org"
        long_description = "北京国际会议中心全天通票包括午餐和晚宴以及所有分会场的入场资格和会议资料"
        invoice.lines = [*invoice.lines, {**invoice.lines[0], "description": long_description}]
        data = invoice_pdf_render(invoice)
    text = pdf_text(data)
    assert "서울특별시 강남구 테헤란로 123" in text
    assert "김민수" in text and "buyer@example.org" in text
    assert page_fonts(data) == {"DejaVuSans", "DejaVuSans-Bold", "HYGothic-Medium", "STSong-Light"}
    printed = next(line for line in text.splitlines() if line.startswith("北京"))
    cut = printed.split("…")[0] + "…"
    assert long_description.startswith(cut[:-1]) and len(cut) < len(long_description)
    assert text_width(cut, FONT, 10) <= DESCRIPTION_WIDTH
