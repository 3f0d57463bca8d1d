"""Demo data for ``python -m eventyay demo``: a small catalogue, a voucher, bank transfer with
an account to pay to, and about a hundred orders (paid, pending, canceled, a few checked in).

Orders go through the real services (quota counters, invoices and the audit log stay right)
inside one transaction, without mails. Idempotent: only adds what is missing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from eventyay.base.models import Event
from eventyay_tickets.models import (
    Category,
    CheckinList,
    Order,
    Product,
    ProductVariation,
    Question,
    Quota,
    TaxRule,
    Voucher,
)

DEMO_VOUCHER = "DEMO-HALF-PRICE"
#: A valid German IBAN (the standard example number); no money goes anywhere.
DEMO_IBAN = "DE89370400440532013000"
DEMO_ORDERS = 100
FIRST = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Hedy", "Tim", "Katherine", "Dennis", "Frances"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Lamarr", "Berners-Lee", "Johnson", "Müller"]


def tickets_demo_data(*, event: Event) -> None:
    """Idempotent: only adds what is missing."""
    with transaction.atomic():
        _catalogue(event)
        _bank_transfer(event)
        if not Order.objects.filter(event=event).exists():
            _orders(event)


def _bank_transfer(event: Event) -> None:
    from eventyay_tickets.payment.builtin import BankTransferProvider
    from eventyay_tickets.services.backoffice import payment_provider_settings_save

    provider = BankTransferProvider(event)
    if provider.settings.get("iban"):
        return
    payment_provider_settings_save(
        event=event,
        provider=provider,
        values={
            **provider.settings,
            "enabled": True,
            "account_holder": "Demo Organizer e.V.",
            "iban": DEMO_IBAN,
            "bank_name": "Demo Bank",
        },
    )


def _orders(event: Event) -> None:
    """Seventy paid orders (a tenth of their tickets checked in), twenty pending, ten canceled."""
    from eventyay_tickets.services import order_mark_paid, order_place
    from eventyay_tickets.services.checkin import checkin_list_save, checkin_redeem
    from eventyay_tickets.services.orders import order_cancel

    products = list(Product.objects.filter(event=event).order_by("category__position", "position"))
    admissions = [product for product in products if product.admission]
    shirt = next((product for product in products if not product.admission), None)
    if not admissions:
        return
    checkin_list = CheckinList.objects.filter(event=event).first() or checkin_list_save(
        event=event, data={"name": "Entrance"}
    )
    to_check_in = []
    for number in range(DEMO_ORDERS):
        name = f"{FIRST[number % len(FIRST)]} {LAST[number % len(LAST)]}"
        email = f"buyer{number}@example.org"
        positions: list[dict[str, Any]] = [
            {"product": admissions[number % 5 == 4 and len(admissions) > 1].pk, "attendee_name": name}
        ]
        if shirt is not None and number % 3 == 0:
            variation = shirt.variations.order_by("position").first()
            positions.append({"product": shirt.pk, "variation": variation.pk if variation else None})
        order = order_place(
            event=event, email=email, payment_provider="banktransfer", send_email=False, positions=positions
        )
        if number < 70:
            order_mark_paid(order=order, provider="banktransfer", send_email=False)
            if number % 10 == 0:
                to_check_in.append(order)
        elif number >= 90:
            order_cancel(order=order, send_email=False)
    for order in to_check_in:
        for position in order.positions.filter(product__admission=True):
            checkin_redeem(organizer=event.organizer, secret=position.secret, lists=[checkin_list])


def _catalogue(event: Event) -> None:

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
            description={"en": "Admission to both days, lunch included."},
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
