"""Demo data for ``python -m eventyay demo``: a small catalogue, a voucher and two orders."""

from __future__ import annotations

from decimal import Decimal

from eventyay.base.models import Event
from eventyay_tickets.models import (
    Category,
    Order,
    Product,
    ProductVariation,
    Question,
    Quota,
    TaxRule,
    Voucher,
)

DEMO_VOUCHER = "DEMO-HALF-PRICE"


def tickets_demo_data(*, event: Event) -> None:
    """Idempotent: only adds what is missing."""
    from eventyay_tickets.services import order_mark_paid, order_place

    tax, _created = TaxRule.objects.get_or_create(
        event=event, rate=Decimal("19.00"), defaults={"name": {"en": "VAT", "de": "MwSt."}}
    )
    tickets, _created = Category.objects.get_or_create(
        event=event, position=0, defaults={"name": {"en": "Tickets", "de": "Tickets"}}
    )
    merch, _created = Category.objects.get_or_create(
        event=event, position=1, defaults={"name": {"en": "Merchandise", "de": "Merchandise"}}
    )
    if not Product.objects.filter(event=event).exists():
        regular = Product.objects.create(
            event=event,
            category=tickets,
            name={"en": "Conference ticket", "de": "Konferenzticket"},
            description={"en": "Admission to all three days, lunch included."},
            price=Decimal("149.00"),
            tax_rule=tax,
            admission=True,
            max_per_order=10,
            position=0,
        )
        student = Product.objects.create(
            event=event,
            category=tickets,
            name={"en": "Student ticket", "de": "Studierendenticket"},
            price=Decimal("49.00"),
            tax_rule=tax,
            admission=True,
            position=1,
        )
        shirt = Product.objects.create(
            event=event,
            category=merch,
            name={"en": "T-shirt", "de": "T-Shirt"},
            price=Decimal("20.00"),
            tax_rule=tax,
            admission=False,
            position=0,
        )
        sizes = [
            ProductVariation.objects.create(product=shirt, value={"en": size}, position=i)
            for i, size in enumerate("SML")
        ]
        admission = Quota.objects.create(event=event, name="Admission", size=500)
        admission.products.set([regular, student])
        shirts = Quota.objects.create(event=event, name="T-shirts", size=200)
        shirts.products.set([shirt])
        shirts.variations.set(sizes)
        company = Question.objects.create(
            event=event, question={"en": "Company", "de": "Firma"}, type=Question.Type.TEXT, required=False
        )
        company.products.set([regular, student])
        Voucher.objects.create(
            event=event,
            code=DEMO_VOUCHER,
            max_usages=100,
            product=regular,
            price_mode=Voucher.PriceMode.PERCENT,
            value=Decimal("50.00"),
            tag="demo",
        )
    if not Order.objects.filter(event=event).exists():
        first_admission = Product.objects.filter(event=event, admission=True).order_by("position").first()
        if first_admission is None:
            return
        paid = order_place(
            event=event,
            email="ada@example.org",
            payment_provider="banktransfer",
            send_email=False,
            positions=[
                {
                    "product": first_admission.pk,
                    "attendee_name": "Ada Lovelace",
                    "attendee_email": "ada@example.org",
                }
            ],
        )
        order_mark_paid(order=paid, provider="banktransfer", send_email=False)
        order_place(
            event=event,
            email="grace@example.org",
            payment_provider="banktransfer",
            send_email=False,
            positions=[{"product": first_admission.pk, "attendee_name": "Grace Hopper"}],
        )
