"""The second half of a pretix import: orders (positions, answers, payments, refunds, check-ins),
invoices with their PDFs, and the capacity counters recounted from what was imported."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.services.source_api import SourceAPIError
from eventyay_tickets.importers.pretix import ORDER_BATCH, moment, money
from eventyay_tickets.models import (
    Checkin,
    Invoice,
    InvoiceCounter,
    Order,
    OrderPayment,
    OrderPosition,
    OrderRefund,
    ProductVariation,
    Question,
    QuestionAnswer,
    QuestionOption,
    Quota,
    Voucher,
)
from eventyay_tickets.services.quotas import quota_links, quota_usage_from_rows, voucher_usage_from_rows

if TYPE_CHECKING:
    from eventyay_tickets.importers.pretix import Importer

ORDER_STATUS = {
    "n": Order.Status.PENDING,
    "p": Order.Status.PAID,
    "e": Order.Status.EXPIRED,
    "c": Order.Status.CANCELED,
}
REFUND_STATE = {
    "created": OrderRefund.State.CREATED,
    "transit": OrderRefund.State.TRANSIT,
    "done": OrderRefund.State.DONE,
    "failed": OrderRefund.State.FAILED,
    "canceled": OrderRefund.State.FAILED,
    "external": OrderRefund.State.DONE,
}
INVOICE_NUMBER = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")
LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")


def import_orders(importer: Importer) -> None:
    """All orders of the event, :data:`ORDER_BATCH` per transaction; unchanged ones are skipped."""
    orders = importer.api.iter_results(importer.source.event_path + "orders/")
    done = 0
    while True:
        batch = list(islice(orders, ORDER_BATCH))
        if not batch:
            break
        with transaction.atomic():
            for data in batch:
                _order(importer, data)
        done += len(batch)
        total = importer.api.last_count or done
        importer.progress(10 + 75 * done // max(total, 1))


def _order(importer: Importer, data: dict[str, Any]) -> None:
    records, report = importer.records, importer.report
    code = str(data["code"])
    modified = str(data.get("last_modified") or "")
    if data.get("testmode"):
        report.skip("order", code, _("Orders of pretix's test mode are not imported."))
        return
    if modified and records.modified("order", code) == modified and records.object_id("order", code):
        report.unchanged["order"] += 1
        return
    status = ORDER_STATUS.get(str(data.get("status")))
    if status is None:
        report.skip("order", code, _("Unknown order status “%(status)s”.") % {"status": data.get("status")})
        return
    positions = data.get("positions") or []
    for position in positions:
        if records.object_id("item", position.get("item")) is None:
            report.skip(
                "order", code, _("Its product %(id)s was not imported.") % {"id": position.get("item")}
            )
            return
        with scopes_disabled():
            taken = (
                OrderPosition.objects.filter(secret=position.get("secret"))
                .exclude(order__event=importer.event)
                .exists()
            )
        if taken:
            report.skip(
                "order", code, _("Its ticket secrets already belong to tickets of another event here.")
            )
            return
    # The list carries canceled fees too (``"canceled": true``); they are not part of the total.
    fees = [f for f in data.get("fees") or [] if not f.get("canceled")]
    payment_fee = sum(
        (money(f.get("value")) for f in fees if f.get("fee_type") == "payment"), Decimal("0.00")
    )
    other_fees = [f for f in fees if f.get("fee_type") != "payment"]
    if other_fees:
        report.notes.append(
            _("Order %(code)s has fees (%(types)s) that are part of its total but not listed as lines here.")
            % {"code": code, "types": ", ".join(sorted({str(f.get("fee_type")) for f in other_fees}))}
        )
    placed = moment(data.get("datetime")) or timezone.now()
    order = Order.objects.filter(event=importer.event, code=code).first()
    created = order is None
    if order is None:
        order = Order(event=importer.event, code=code)
    order.secret = str(data.get("secret") or order.secret)[:32]
    order.status = status
    order.email = str(data.get("email") or "")
    order.locale = str(data.get("locale") or importer.event.locale)[:16]
    order.total = money(data.get("total"))
    order.payment_fee = payment_fee
    order.payment_provider = str(data.get("payment_provider") or "")[:64]
    order.datetime = placed
    order.expires = moment(data.get("expires")) or placed
    order.require_approval = bool(data.get("require_approval"))
    order.save()
    kept: set[int] = set()
    for position in positions:
        kept.add(_position(importer, order, position))
    # Positions canceled at pretix since the last run are not listed any more.
    order.positions.exclude(positionid__in=kept).delete()
    for payment in data.get("payments") or []:
        OrderPayment.objects.update_or_create(
            order=order,
            local_id=int(payment["local_id"]),
            defaults={
                "provider": str(payment.get("provider") or "")[:64],
                "amount": money(payment.get("amount")),
                "state": payment.get("state")
                if payment.get("state") in OrderPayment.State.values
                else "created",
                "created": moment(payment.get("created")) or placed,
                "payment_date": moment(payment.get("payment_date")),
                "info": {"pretix_details": payment.get("details") or {}},
            },
        )
    for refund in data.get("refunds") or []:
        OrderRefund.objects.update_or_create(
            order=order,
            local_id=int(refund["local_id"]),
            defaults={
                "payment": order.payments.filter(local_id=refund.get("payment")).first(),
                "provider": str(refund.get("provider") or "")[:64],
                "amount": money(refund.get("amount")),
                "state": REFUND_STATE.get(str(refund.get("state")), OrderRefund.State.DONE),
                "created": moment(refund.get("created")) or placed,
                "execution_date": moment(refund.get("execution_date")),
                "info": {"pretix_source": refund.get("source") or ""},
            },
        )
    records.remember("order", code, order, modified)
    report.count("order", created=created)


def _position(importer: Importer, order: Order, data: dict[str, Any]) -> int:
    records = importer.records
    positionid = int(data.get("positionid") or 1)
    voucher = records.get(Voucher, "voucher", data["voucher"]) if data.get("voucher") else None
    position, _created = OrderPosition.objects.update_or_create(
        order=order,
        positionid=positionid,
        defaults={
            "product_id": records.object_id("item", data["item"]),
            "variation": (
                records.get(ProductVariation, "variation", data["variation"])
                if data.get("variation")
                else None
            ),
            "price": money(data.get("price")),
            "tax_rate": money(data.get("tax_rate")),
            "tax_value": money(data.get("tax_value")),
            "attendee_name": str(data.get("attendee_name") or "")[:255],
            "attendee_email": str(data.get("attendee_email") or ""),
            "secret": str(data["secret"]),
            "voucher": voucher,
            # Sold past the quota in pretix on purpose: it takes no place here either.
            "quota_exempt": bool(voucher and voucher.allow_ignore_quota),
        },
    )
    for answer in data.get("answers") or []:
        _answer(importer, position, answer)
    for checkin in data.get("checkins") or []:
        checkin_list_id = records.object_id("checkinlist", checkin.get("list"))
        if checkin_list_id is None:
            continue
        # The nonce names pretix's check-in, so a second run finds it instead of scanning again.
        Checkin.objects.get_or_create(
            position=position,
            nonce=f"pretix:{checkin['id']}",
            defaults={
                "checkin_list_id": checkin_list_id,
                "type": Checkin.Type.EXIT if checkin.get("type") == "exit" else Checkin.Type.ENTRY,
                "datetime": moment(checkin.get("datetime")) or timezone.now(),
            },
        )
    return positionid


def _answer(importer: Importer, position: OrderPosition, data: dict[str, Any]) -> None:
    question = importer.records.get(Question, "question", data.get("question"))
    if question is None:
        return
    text = str(data.get("answer") or "")
    if question.type == Question.Type.FILE:
        # pretix answers with the URL of the file; its content stays at pretix.
        text = text.rsplit("/", 1)[-1]
    answer, _created = QuestionAnswer.objects.update_or_create(
        position=position, question=question, defaults={"answer": text}
    )
    if question.type in (Question.Type.CHOICE, Question.Type.MULTIPLE):
        option_ids = [importer.records.object_id("option", o) for o in data.get("options") or []]
        answer.options.set(QuestionOption.objects.filter(pk__in=[o for o in option_ids if o]))


def import_invoices(importer: Importer) -> None:
    """Invoices as records with their numbers (and PDFs when pretix has them), then the counters."""
    path = importer.source.event_path + "invoices/"
    try:
        invoices = list(importer.api.iter_results(path))
    except SourceAPIError as exc:
        if exc.status != 403:
            raise
        importer.report.notes.append(_("The token may not read invoices; they were not imported."))
        return
    highest: dict[str, tuple[int, int]] = {}
    by_number: dict[str, Invoice] = {}
    for data in sorted(invoices, key=lambda d: (bool(d.get("is_cancellation")), str(d.get("number")))):
        number = str(data.get("number") or "")
        match = INVOICE_NUMBER.match(number)
        order = Order.objects.filter(event=importer.event, code=str(data.get("order"))).first()
        if match is None:
            importer.report.skip("invoice", number, _("The invoice number does not end in a number."))
            continue
        if order is None:
            importer.report.skip("invoice", number, _("Its order was not imported."))
            continue
        prefix, digits = match["prefix"], match["number"]
        lines = [
            {
                "description": _line_text(line.get("description")),
                "gross": str(money(line.get("gross_value"))),
                "net": str(
                    money(
                        line.get("net_value", money(line.get("gross_value")) - money(line.get("tax_value")))
                    )
                ),
                "tax": str(money(line.get("tax_value"))),
                "tax_rate": str(money(line.get("tax_rate"))),
            }
            for line in data.get("lines") or []
        ]
        invoice = importer.records.save(
            "invoice",
            number,
            Invoice,
            {
                "order": order,
                "prefix": prefix,
                "number": int(digits),
                "full_number": number,
                "is_cancellation": bool(data.get("is_cancellation")),
                "refers": by_number.get(str(data.get("refers"))) if data.get("refers") else None,
                "date": parse_date(str(data.get("date") or "")) or timezone.localdate(),
                "invoice_from": _invoice_from(data),
                "invoice_to": str(data.get("invoice_to") or ""),
                "lines": lines,
                "total": sum((Decimal(line["gross"]) for line in lines), Decimal("0.00")),
                "tax_total": sum((Decimal(line["tax"]) for line in lines), Decimal("0.00")),
                "currency": importer.event.currency,
                "footer": str(data.get("footer_text") or ""),
            },
            event=importer.event,
        )
        by_number[number] = invoice
        if not invoice.file and not importer.report.dry_run:
            _invoice_pdf(importer, invoice)
        top, width = highest.get(prefix, (0, 0))
        highest[prefix] = (max(top, int(digits)), max(width, len(digits)))
    _continue_numbering(importer, highest)
    importer.progress(95)


def _line_text(value: Any) -> str:
    """pretix writes invoice lines as HTML (``Ticket<br />Attendee: …``); ours are plain lines."""
    text = LINE_BREAK.sub("\n", str(value or ""))
    return html.unescape(TAG.sub("", text)).strip()


def _invoice_from(data: dict[str, Any]) -> str:
    """The issuer as pretix stores it in parts (name, street, postcode and city, country)."""
    place = " ".join(
        str(data.get(key) or "") for key in ("invoice_from_zipcode", "invoice_from_city") if data.get(key)
    )
    parts = [
        data.get("invoice_from_name"),
        data.get("invoice_from"),
        place,
        data.get("invoice_from_country"),
    ]
    return "\n".join(str(part).strip() for part in parts if part and str(part).strip())


def _invoice_pdf(importer: Importer, invoice: Invoice) -> None:
    path = f"{importer.source.event_path}invoices/{invoice.full_number}/download/"
    try:
        pdf = importer.api.get_bytes(path)
    except SourceAPIError as exc:
        # 409: pretix has not rendered it yet; 404: it never will (e.g. a deleted file).
        importer.report.notes.append(
            _("The PDF of invoice %(number)s could not be read (%(problem)s).")
            % {"number": invoice.full_number, "problem": str(exc)}
        )
        return
    if not pdf.startswith(b"%PDF"):
        importer.report.notes.append(
            _("Invoice %(number)s has no PDF at pretix.") % {"number": invoice.full_number}
        )
        return
    invoice.file.save(f"{invoice.full_number}.pdf", ContentFile(pdf), save=False)
    Invoice.objects.filter(pk=invoice.pk).update(file=invoice.file.name)


def _continue_numbering(importer: Importer, highest: dict[str, tuple[int, int]]) -> None:
    """Our next invoice number follows the highest imported one of the prefix our numbering uses."""
    event = importer.event
    if not highest:
        return
    settings: dict[str, Any] = {"tickets_invoice_numbering": "event"}
    if len(highest) == 1:
        prefix = next(iter(highest))
        settings["tickets_invoice_prefix"] = prefix
        settings["tickets_invoice_digits"] = highest[prefix][1]
    event.settings.update(settings)
    for prefix in highest:
        top = Invoice.objects.filter(event=event, prefix=prefix).aggregate(m=Max("number"))["m"] or 0
        counter, _created = InvoiceCounter.objects.get_or_create(
            organizer=event.organizer, sequence=f"event:{event.pk}", prefix=prefix, defaults={"value": top}
        )
        if counter.value < top:
            InvoiceCounter.objects.filter(pk=counter.pk).update(value=top)


def recount(importer: Importer) -> None:
    """Set every quota's and voucher's counter to what the imported rows hold."""
    event = importer.event
    usage = quota_usage_from_rows(event, quota_links(event))
    for quota in Quota.objects.filter(event=event).select_for_update(no_key=True):
        used = usage.get(quota.pk, 0)
        if quota.size is not None and used > quota.size:
            importer.report.notes.append(
                _("Quota “%(name)s” holds %(used)d tickets, more than its size %(size)d; it counts as full.")
                % {"name": quota.name, "used": used, "size": quota.size}
            )
            used = quota.size
        if used != quota.used:
            Quota.objects.filter(pk=quota.pk).update(used=used)
    redeemed: defaultdict[int, int] = defaultdict(int, voucher_usage_from_rows(event))
    for voucher in Voucher.objects.filter(event=event).select_for_update(no_key=True):
        if voucher.redeemed != redeemed[voucher.pk]:
            Voucher.objects.filter(pk=voucher.pk).update(redeemed=redeemed[voucher.pk])
