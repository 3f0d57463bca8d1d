"""PDF documents: tickets (one per admission position, with a QR code of its secret) and invoices.

Rendering uses reportlab; files are kept in the private storage (:mod:`eventyay.base.storage`)
and handed out by the views that check who asks. Tickets are cached under a name derived from
everything printed on them, including the position's secret, so a changed attendee name yields a
new file and nobody can guess a name.
"""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import segno
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from eventyay.base.exporters.pdffonts import FONT, FONT_BOLD, draw_text, fit_text, register_fonts
from eventyay.base.storage import private_storage
from eventyay_tickets.models import Invoice, Order, OrderPosition

PDF = "application/pdf"
#: Part of the cached tickets' names: a change of the layout or font renders them anew.
LAYOUT_VERSION = "4-cjk-runs"


def _event_date(event) -> str:
    start = event.date_from.astimezone(event.tz)
    text = formats.date_format(start, "DATETIME_FORMAT")
    if event.date_to:
        end = event.date_to.astimezone(event.tz)
        fmt = "TIME_FORMAT" if end.date() == start.date() else "DATETIME_FORMAT"
        text += " – " + formats.date_format(end, fmt)
    return text


#: Light modules around a QR code, as the standard asks, so scanners find its edges.
QR_QUIET_ZONE = 4


def qr_runs(data: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code of ``data`` (error correction M) as horizontal runs of dark modules.

    Returns the code's width in modules and ``(row, first column, length)`` per run. segno
    computes the matrix in a few milliseconds where reportlab's QR widget took some 150 (a
    hundred tickets took seconds); drawing runs instead of single modules keeps the PDF small.
    """
    matrix = segno.make(data, error="m", micro=False).matrix
    runs = []
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            runs.append((row_index, start, column - start))
    return len(matrix), runs


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    width, runs = qr_runs(data)
    module = size / (width + 2 * QR_QUIET_ZONE)
    path = canvas.beginPath()
    for row, start, length in runs:
        top = y + size - (row + QR_QUIET_ZONE) * module
        path.rect(x + (start + QR_QUIET_ZONE) * module, top - module, length * module, module)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def ticket_pdf_render(position: OrderPosition) -> bytes:
    """One A4 page per ticket: event, date, venue, product, attendee, order code and QR code."""
    register_fonts()
    order = position.order
    event = order.event
    buffer = io.BytesIO()
    with translation.override(order.locale or event.locale):
        canvas = Canvas(buffer, pagesize=A4)
        # The document title is metadata, stored as UTF-16 where needed: no font involved.
        canvas.setTitle(f"{event.name} – {order.code}-{position.positionid}")
        width, height = A4
        left = 20 * mm
        top = height - 25 * mm
        draw_text(canvas, left, top, str(event.name), FONT_BOLD, 22)
        draw_text(canvas, left, top - 9 * mm, _event_date(event), FONT, 12)
        venue = str(event.settings.get("tickets_venue") or "")
        for offset, line in enumerate(venue.splitlines()[:4]):
            draw_text(canvas, left, top - (15 + 5 * offset) * mm, line, FONT, 12)
        product = str(position.product.name)
        if position.variation is not None:
            product += f" – {position.variation.value}"
        y = top - 45 * mm
        draw_text(canvas, left, y, product, FONT_BOLD, 16)
        if position.attendee_name:
            draw_text(canvas, left, y - 9 * mm, position.attendee_name, FONT, 14)
        draw_text(canvas, left, y - 18 * mm, _("Order %(code)s") % {"code": order.code}, FONT, 11)
        price = f"{formats.number_format(position.price, 2)} {event.currency}"
        draw_text(canvas, left, y - 24 * mm, price, FONT, 11)
        _qr(canvas, position.secret, width - 20 * mm - 60 * mm, y - 50 * mm, 60 * mm)
        draw_text(canvas, width - 80 * mm, y - 54 * mm, position.secret, FONT, 7)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def _ticket_path(position: OrderPosition) -> str:
    order = position.order
    event = order.event
    fingerprint = "|".join(
        str(v)
        for v in (
            position.secret,
            position.attendee_name,
            position.product_id,
            position.variation_id,
            position.price,
            event.name,
            event.date_from,
            event.date_to,
            event.settings.get("tickets_venue"),
            order.locale,
            LAYOUT_VERSION,
        )
    )
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:20]
    return f"tickets/tickets/{event.pk}/{order.code}-{position.positionid}-{digest}.pdf"


def ticket_pdf_filename(position: OrderPosition) -> str:
    return f"{position.order.event.slug}-{position.order.code}-{position.positionid}.pdf"


def ticket_pdf_stored(position: OrderPosition) -> str:
    """The storage path of a position's ticket, rendered and stored if not yet there."""
    path = _ticket_path(position)
    if private_storage.exists(path):
        return path
    return private_storage.save(path, ContentFile(ticket_pdf_render(position)))


def ticket_pdf_for_position(position: OrderPosition) -> tuple[str, bytes]:
    """``(filename, pdf bytes)`` of a position's ticket, rendered and stored if not yet there.

    Mail and page code call this to attach or serve tickets; only positions of paid orders
    (and not canceled) should be handed out.
    """
    with private_storage.open(ticket_pdf_stored(position), "rb") as stored:
        return ticket_pdf_filename(position), stored.read()


def _admission_positions(order: Order) -> list[OrderPosition]:
    positions = list(order.positions.select_related("product", "variation").filter(product__admission=True))
    for position in positions:
        position.order = order
    return positions


def ticket_pdfs_store(*, order: Order) -> int:
    """Render and store the tickets of every admission position of ``order``; returns how many."""
    positions = _admission_positions(order)
    for position in positions:
        ticket_pdf_stored(position)
    return len(positions)


def order_mail_attachments(*, order: Order, tickets: bool, invoice: bool) -> list[dict[str, str]]:
    """Attachments (``mail_queue`` format) of an order mail, rendering what is not stored yet.

    ``invoice``: the order's current invoice, issued now if due; ``tickets``: one PDF per
    admission position, only while the order is paid.
    """
    from eventyay_tickets.services.invoices import invoice_issue_if_due

    attachments = []
    if invoice:
        current = invoice_issue_if_due(order=order)
        if current is not None:
            invoice_pdf_store(invoice=current)
            attachments.append(
                {"name": invoice_pdf_filename(current), "path": current.file.name, "mimetype": PDF}
            )
    if tickets and order.status == Order.Status.PAID:
        for position in _admission_positions(order):
            attachments.append(
                {"name": ticket_pdf_filename(position), "path": ticket_pdf_stored(position), "mimetype": PDF}
            )
    return attachments


def _money(value: Decimal | str) -> str:
    return formats.number_format(Decimal(value), 2)


#: Room for an invoice line's description: from the left margin to 20 mm before the tax rate
#: column's right edge (which takes about 15 mm for "19,00 %").
DESCRIPTION_WIDTH = (A4[0] - 40 * mm) - 60 * mm - 20 * mm


def invoice_pdf_render(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF: sender, recipient, number, date, lines with tax, total, footer."""
    register_fonts()
    event = invoice.event
    buffer = io.BytesIO()
    with translation.override(invoice.order.locale or event.locale):
        canvas = Canvas(buffer, pagesize=A4)
        canvas.setTitle(invoice.full_number)
        width, height = A4
        left = 20 * mm
        right = width - 20 * mm
        y = height - 25 * mm
        for line in invoice.invoice_from.splitlines()[:6]:
            draw_text(canvas, left, y, line, FONT, 9)
            y -= 4.5 * mm
        y -= 8 * mm
        for line in invoice.invoice_to.splitlines()[:6]:
            draw_text(canvas, left, y, line, FONT, 11)
            y -= 5.5 * mm
        y -= 10 * mm
        title = _("Cancellation") if invoice.is_cancellation else _("Invoice")
        draw_text(canvas, left, y, f"{title} {invoice.full_number}", FONT_BOLD, 16)
        y -= 7 * mm
        date = _("Date: %s") % formats.date_format(invoice.date, "DATE_FORMAT")
        draw_text(canvas, left, y, date, FONT, 10)
        draw_text(canvas, right, y, _("Order: %s") % invoice.order.code, FONT, 10, align="right")
        y -= 5 * mm
        draw_text(canvas, left, y, str(event.name), FONT, 10)
        if invoice.is_cancellation and invoice.refers is not None:
            y -= 5 * mm
            draw_text(canvas, left, y, _("Cancels invoice %s") % invoice.refers.full_number, FONT, 10)
        y -= 12 * mm
        draw_text(canvas, left, y, _("Description"), FONT_BOLD, 10)
        draw_text(canvas, right - 60 * mm, y, _("Tax rate"), FONT_BOLD, 10, align="right")
        draw_text(canvas, right - 30 * mm, y, _("Net"), FONT_BOLD, 10, align="right")
        draw_text(canvas, right, y, _("Gross"), FONT_BOLD, 10, align="right")
        for line in invoice.lines:
            y -= 7 * mm
            if y < 40 * mm:
                canvas.showPage()
                y = height - 25 * mm
            description = str(line["description"]).splitlines() or [""]
            # Cut by printed width, not by characters: a CJK character is twice as wide as a
            # Latin one, and the description must end before the tax rate column.
            draw_text(canvas, left, y, fit_text(description[0], FONT, 10, DESCRIPTION_WIDTH), FONT, 10)
            draw_text(canvas, right - 60 * mm, y, f"{_money(line['tax_rate'])} %", FONT, 10, align="right")
            draw_text(canvas, right - 30 * mm, y, _money(line["net"]), FONT, 10, align="right")
            draw_text(canvas, right, y, _money(line["gross"]), FONT, 10, align="right")
            for extra in description[1:2]:
                y -= 4.5 * mm
                draw_text(canvas, left + 4 * mm, y, fit_text(extra, FONT, 8, right - left - 4 * mm), FONT, 8)
        y -= 10 * mm
        draw_text(canvas, right - 30 * mm, y, _("Included tax"), FONT, 10, align="right")
        tax_total = f"{_money(invoice.tax_total)} {invoice.currency}"
        draw_text(canvas, right, y, tax_total, FONT, 10, align="right")
        y -= 6 * mm
        draw_text(canvas, right - 30 * mm, y, _("Total"), FONT_BOLD, 11, align="right")
        total = f"{_money(invoice.total)} {invoice.currency}"
        draw_text(canvas, right, y, total, FONT_BOLD, 11, align="right")
        footer_y = 20 * mm
        for line in invoice.footer.splitlines()[:4]:
            draw_text(canvas, left, footer_y, line, FONT, 8)
            footer_y -= 4 * mm
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def invoice_pdf_store(*, invoice: Invoice) -> str:
    """Render the invoice once and keep the file; an issued invoice never changes.

    Returns the file's name in the private storage.
    """
    if invoice.file:
        return invoice.file.name
    data = invoice_pdf_render(invoice)
    with transaction.atomic():
        invoice.file.save(invoice_pdf_filename(invoice), ContentFile(data), save=False)
        Invoice.objects.filter(pk=invoice.pk, file="").update(file=invoice.file.name)
    return invoice.file.name


def invoice_pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.event.slug}-{invoice.full_number}.pdf"


def invoice_pdf(invoice: Invoice) -> tuple[str, bytes]:
    """``(filename, pdf bytes)`` of an invoice, rendering it now if the task has not yet."""
    invoice_pdf_store(invoice=invoice)
    with invoice.file.open("rb") as stored:
        data = stored.read()
    return invoice_pdf_filename(invoice), data
