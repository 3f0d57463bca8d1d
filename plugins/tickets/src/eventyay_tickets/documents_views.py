"""The attendee's downloads at the order's secret link: ticket PDFs (paid orders) and invoices."""

from __future__ import annotations

import io

from django.http import FileResponse, Http404, HttpRequest
from django.urls import path

from eventyay_tickets.models import Invoice, Order
from eventyay_tickets.selectors import order_for_secret
from eventyay_tickets.services.documents import invoice_pdf, ticket_pdf_for_position


def _order(request: HttpRequest, code: str, secret: str) -> Order:
    event = request.event  # type: ignore[attr-defined]
    order = order_for_secret(event, code, secret)
    if order is None:
        raise Http404()
    order.event = event
    return order


def _pdf(filename: str, data: bytes) -> FileResponse:
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type="application/pdf"
    )


def ticket(
    request: HttpRequest, organizer: str, event: str, code: str, secret: str, positionid: int
) -> FileResponse:
    order = _order(request, code, secret)
    if order.status != Order.Status.PAID:
        raise Http404()
    position = (
        order.positions.select_related("product", "variation")
        .filter(positionid=positionid, product__admission=True)
        .first()
    )
    if position is None:
        raise Http404()
    position.order = order
    return _pdf(*ticket_pdf_for_position(position))


def invoice(
    request: HttpRequest, organizer: str, event: str, code: str, secret: str, pk: int
) -> FileResponse:
    order = _order(request, code, secret)
    found = Invoice.objects.select_related("event", "order", "refers").filter(order=order, pk=pk).first()
    if found is None:
        raise Http404()
    return _pdf(*invoice_pdf(found))


public_patterns = [
    path("tickets/order/<str:code>/<str:secret>/ticket/<int:positionid>/", ticket, name="order.ticket"),
    path("tickets/order/<str:code>/<str:secret>/invoice/<int:pk>/", invoice, name="order.invoice"),
]
