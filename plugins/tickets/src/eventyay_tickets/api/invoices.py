"""Invoices API: list and retrieve an event's invoices, download one as PDF."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request

from eventyay.api.mixins import EventViewMixin
from eventyay.base.storage import serve_private_file
from eventyay_tickets.models import Invoice
from eventyay_tickets.services.documents import PDF, invoice_pdf_filename, invoice_pdf_store


class InvoiceSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.code", read_only=True)
    # The number of the invoice a cancellation cancels; null on ordinary invoices.
    refers = serializers.CharField(source="refers.full_number", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "order",
            "number",
            "full_number",
            "prefix",
            "is_cancellation",
            "refers",
            "date",
            "invoice_from",
            "invoice_to",
            "lines",
            "total",
            "tax_total",
            "currency",
        ]


class InvoiceViewSet(  # type: ignore[misc]
    EventViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = InvoiceSerializer
    permission = "event.orders:read"
    filterset_fields = ["is_cancellation", "full_number"]

    def get_queryset(self) -> QuerySet[Invoice]:
        invoices = Invoice.objects.filter(event=self.event).select_related("order", "refers", "event")
        code = self.request.query_params.get("order")
        if code:
            invoices = invoices.filter(order__code=code.upper())
        return invoices.order_by("pk")

    @extend_schema(responses={(200, PDF): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        invoice = self.get_object()
        return serve_private_file(
            request,
            invoice_pdf_store(invoice=invoice),
            filename=invoice_pdf_filename(invoice),
            content_type=PDF,
        )
