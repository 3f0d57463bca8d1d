"""Celery tasks rendering documents: take ids, re-load, open the organizer's scope, call a service."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scope, scopes_disabled


@shared_task(name="eventyay_tickets.tasks_documents.render_invoice", ignore_result=True)
def render_invoice(invoice_id: int) -> None:
    from eventyay_tickets.models import Invoice
    from eventyay_tickets.services.documents import invoice_pdf_store

    with scopes_disabled():
        invoice = (
            Invoice.objects.select_related("event__organizer", "order", "refers")
            .filter(pk=invoice_id)
            .first()
        )
    if invoice is None:
        return
    with scope(organizer=invoice.event.organizer):
        invoice_pdf_store(invoice=invoice)


@shared_task(name="eventyay_tickets.tasks_documents.render_tickets", ignore_result=True)
def render_tickets(order_id: int) -> None:
    from eventyay_tickets.models import Order
    from eventyay_tickets.services.documents import ticket_pdfs_store

    with scopes_disabled():
        order = Order.objects.select_related("event__organizer").filter(pk=order_id).first()
    if order is None or order.status != Order.Status.PAID:
        return
    with scope(organizer=order.event.organizer):
        ticket_pdfs_store(order=order)


@shared_task(name="eventyay_tickets.tasks_documents.order_documents", ignore_result=True)
def order_documents(order_id: int, action: str) -> None:
    """After an order transition: issue or cancel its invoice, and render tickets once paid."""
    from eventyay_tickets.models import Order
    from eventyay_tickets.services.invoices import invoices_on_order_event

    with scopes_disabled():
        order = Order.objects.select_related("event__organizer").filter(pk=order_id).first()
    if order is None:
        return
    with scope(organizer=order.event.organizer):
        invoices_on_order_event(order=order, action=action)
        if order.status == Order.Status.PAID:
            render_tickets.delay(order.pk)


@shared_task(name="eventyay_tickets.tasks_documents.order_mail_with_documents", ignore_result=True)
def order_mail_with_documents(order_id: int, template: str, delivery_key: str) -> None:
    """Render the documents an order mail carries, then queue the mail with them attached."""
    from eventyay_tickets.models import Order
    from eventyay_tickets.services.notifications import order_mail_with_documents as queue_mail

    with scopes_disabled():
        order = Order.objects.select_related("event__organizer").filter(pk=order_id).first()
    if order is None:
        return
    with scope(organizer=order.event.organizer):
        queue_mail(order=order, template=template, delivery_key=delivery_key)
