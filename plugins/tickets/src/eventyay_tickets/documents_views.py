"""The attendee's downloads at the order's secret link: ticket PDFs (paid orders) and invoices."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import path

from eventyay.base.storage import serve_private_file
from eventyay_tickets.models import Invoice, Order
from eventyay_tickets.selectors import order_for_secret
from eventyay_tickets.services.documents import (
    PDF,
    invoice_pdf_filename,
    invoice_pdf_store,
    ticket_pdf_filename,
    ticket_pdf_stored,
)


def _order(request: HttpRequest, code: str, secret: str) -> Order:
    event = request.event  # type: ignore[attr-defined]
    order = order_for_secret(event, code, secret)
    if order is None:
        raise Http404()
    order.event = event
    return order


def ticket(
    request: HttpRequest, organizer: str, event: str, code: str, secret: str, positionid: int
) -> HttpResponseBase:
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
    return serve_private_file(
        request, ticket_pdf_stored(position), filename=ticket_pdf_filename(position), content_type=PDF
    )


def invoice(
    request: HttpRequest, organizer: str, event: str, code: str, secret: str, pk: int
) -> HttpResponseBase:
    order = _order(request, code, secret)
    found = Invoice.objects.select_related("event", "order", "refers").filter(order=order, pk=pk).first()
    if found is None:
        raise Http404()
    return serve_private_file(
        request, invoice_pdf_store(invoice=found), filename=invoice_pdf_filename(found), content_type=PDF
    )


public_patterns = [
    path("tickets/order/<str:code>/<str:secret>/ticket/<int:positionid>/", ticket, name="order.ticket"),
    path("tickets/order/<str:code>/<str:secret>/invoice/<int:pk>/", invoice, name="order.invoice"),
]
