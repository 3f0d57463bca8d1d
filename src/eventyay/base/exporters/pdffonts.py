"""Fonts for PDFs: the bundled DejaVu Sans, with reportlab's CID fonts for Chinese, Japanese and Korean.

DejaVu Sans (a TrueType font embedded in every file) covers Latin, Greek, Cyrillic, Arabic and
Hebrew, but not Han, kana or Hangul. Shipping a CJK TrueType font would add some 15 MB, so
characters DejaVu lacks are set in one of the CID fonts every PDF reader knows by name
(``STSong-Light``, ``HeiseiKakuGo-W5``, ``HYGothic-Medium``). Those are referenced, not embedded:
a reader without Asian font support substitutes a similar installed font.

Text is cut into runs of one font each (:func:`text_runs`); :func:`draw_text` draws them on a
canvas, :func:`paragraph_markup` marks them up for a ``Paragraph``, :func:`text_width` and
:func:`fit_text` measure them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = "EventyaySans"
FONT_BOLD = "EventyaySans-Bold"
_FONT_DIR = Path(__file__).resolve().parent / "fonts"

#: CID fonts by script. Sans faces where reportlab has one, to sit well next to DejaVu Sans;
#: for Chinese reportlab offers only a Song (serif) face.
FONT_CHINESE = "STSong-Light"
FONT_JAPANESE = "HeiseiKakuGo-W5"
FONT_KOREAN = "HYGothic-Medium"
FALLBACK_FONTS = (FONT_CHINESE, FONT_JAPANESE, FONT_KOREAN)

Align = Literal["left", "right", "centre"]


def register_fonts() -> None:
    """Make DejaVu Sans known to reportlab as :data:`FONT` and :data:`FONT_BOLD`, and the CID
    fallbacks under their own names."""
    registered = pdfmetrics.getRegisteredFontNames()
    if FONT not in registered:
        pdfmetrics.registerFont(TTFont(FONT, str(_FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONT_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
    for name in FALLBACK_FONTS:
        if name not in registered:
            pdfmetrics.registerFont(UnicodeCIDFont(name))


def _is_hangul(code: int) -> bool:
    return (
        0x1100 <= code <= 0x11FF
        or 0x3130 <= code <= 0x318F
        or 0xA960 <= code <= 0xA97F
        or 0xAC00 <= code <= 0xD7FF
    )


def _is_kana(code: int) -> bool:
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F


def _is_cjk(code: int) -> bool:
    """Han, kana, Hangul and their punctuation, full-width forms and compatibility blocks.

    Only the Basic Multilingual Plane: the CID fonts' UCS-2 encodings cannot address more.
    """
    return (
        _is_hangul(code)
        or 0x2E80 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFFEF
    )


@cache
def _coverage(font: str) -> frozenset[int] | None:
    """Code points the TrueType font ``font`` has glyphs for; ``None`` for a font without a map."""
    face = getattr(pdfmetrics.getFont(font), "face", None)
    char_to_glyph = getattr(face, "charToGlyph", None)
    return frozenset(char_to_glyph) if char_to_glyph is not None else None


def _han_font(text: str) -> str:
    """The CID font for Han characters and CJK punctuation in ``text``.

    The same character is drawn differently in Chinese, Japanese and Korean typography, and a
    name alone does not say which it is; kana mark Japanese and Hangul mark Korean text, and
    anything else is set in the Chinese font.
    """
    codes = [ord(character) for character in text]
    if any(_is_kana(code) for code in codes):
        return FONT_JAPANESE
    if any(_is_hangul(code) for code in codes):
        return FONT_KOREAN
    return FONT_CHINESE


def text_runs(text: str, font: str = FONT) -> list[tuple[str, str]]:
    """``text`` cut into ``(font name, text)`` runs: ``font`` where it has the glyph, else a CID font.

    Characters neither ``font`` nor a CID font can draw (such as emoji) stay in ``font``.
    Example: ``text_runs("Seat 山田")`` is ``[(FONT, "Seat "), ("STSong-Light", "山田")]``.
    """
    register_fonts()
    covered = _coverage(font)
    han_font: str | None = None
    runs: list[tuple[str, str]] = []
    for character in str(text):
        code = ord(character)
        if (covered is not None and code in covered) or not _is_cjk(code):
            run_font = font
        elif _is_kana(code):
            run_font = FONT_JAPANESE
        elif _is_hangul(code):
            run_font = FONT_KOREAN
        else:
            han_font = han_font or _han_font(text)
            run_font = han_font
        if runs and runs[-1][0] == run_font:
            runs[-1] = (run_font, runs[-1][1] + character)
        else:
            runs.append((run_font, character))
    return runs


def text_width(text: str, font: str, size: float) -> float:
    """The width of ``text`` in points as :func:`draw_text` sets it, each run in its own font."""
    return sum(pdfmetrics.stringWidth(run, run_font, size) for run_font, run in text_runs(text, font))


def fit_text(text: str, font: str, size: float, max_width: float, ellipsis: str = "…") -> str:
    """``text``, cut and ended with ``ellipsis`` if it is wider than ``max_width`` points."""
    text = str(text)
    if text_width(text, font, size) <= max_width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits together with the ellipsis
        middle = (low + high + 1) // 2
        if text_width(text[:middle].rstrip() + ellipsis, font, size) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ellipsis


def draw_text(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float, align: Align = "left"
) -> float:
    """Draw one line of ``text`` with its baseline at ``y``, switching fonts run by run.

    ``align`` says whether ``x`` is the left end, the right end or the centre of the line; the
    runs sit in one text object, so readers extract the line as one string. Returns the width.
    """
    runs = text_runs(text, font)
    width = sum(pdfmetrics.stringWidth(run, run_font, size) for run_font, run in runs)
    if align == "right":
        x -= width
    elif align == "centre":
        x -= width / 2
    text_object = canvas.beginText(x, y)
    for run_font, run in runs:
        text_object.setFont(run_font, size)
        text_object.textOut(run)
    canvas.drawText(text_object)
    return width


def paragraph_markup(text: str, font: str = FONT) -> str:
    """``text`` escaped for a reportlab ``Paragraph`` whose style uses ``font``, with runs that
    font cannot draw wrapped in ``<font name="…">``. Line breaks are left as they are."""
    parts = []
    for run_font, run in text_runs(text, font):
        escaped = run.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        parts.append(escaped if run_font == font else f'<font name="{run_font}">{escaped}</font>')
    return "".join(parts)


def needs_fallback(text: str, font: str = FONT) -> bool:
    """Whether ``text`` has characters set in a CID font (for CJK line breaking, for example)."""
    return any(run_font != font for run_font, _run in text_runs(text, font))
