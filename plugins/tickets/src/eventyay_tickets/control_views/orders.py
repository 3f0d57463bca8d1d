"""The orders list (search and filters, constant queries at any size) and the order detail with
every action: mark paid, cancel, extend, reactivate, approve, deny, resend the link, invoices,
refunds."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.storage import serve_private_file
from eventyay.control.forms import add_service_errors
from eventyay.control.forms.events import in_timezone
from eventyay.control.pagination import page_of
from eventyay.control.permissions import event_view
from eventyay_tickets.control_views.common import READ, WRITE, error_text, to
from eventyay_tickets.control_views.forms import (
    CancelForm,
    ExtendForm,
    MarkPaidForm,
    OrderFilterForm,
    RefundForm,
)
from eventyay_tickets.models import Checkin, Invoice, Order, OrderPayment, OrderRefund, QuestionAnswer
from eventyay_tickets.payment.base import PUBLIC_INFO
from eventyay_tickets.payment.refunds import COUNTING, refund_create
from eventyay_tickets.selectors import order_positions, payment_providers
from eventyay_tickets.selectors_backoffice import OrderFilters, order_log, orders_search
from eventyay_tickets.services import (
    CapacityBusy,
    order_accept_over_quota,
    order_approve,
    order_cancel,
    order_deny,
    order_expire_if_due,
    order_extend,
    order_mark_paid,
    order_reactivate,
    order_resend_link,
)
from eventyay_tickets.services.documents import (
    PDF,
    invoice_pdf_filename,
    invoice_pdf_store,
    ticket_pdf_filename,
    ticket_pdf_stored,
)
from eventyay_tickets.services.invoices import invoice_cancel, invoice_create, invoice_regenerate

TEMPLATES = "eventyay_tickets/control/"


@event_view(READ)
def orders(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    form = OrderFilterForm(request.GET or None, event=ev)
    filters = OrderFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = OrderFilters(
            query=data.get("query") or "",
            status=data.get("status") or "",
            product=data["product"].pk if data.get("product") else None,
            email=data.get("email") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
    page = page_of(orders_search(ev, filters), request)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "querystring": query.urlencode()}
    if request.headers.get("HX-Request"):
        return render(request, TEMPLATES + "_orders_table.html", context)
    return render(request, TEMPLATES + "orders.html", context)


def _order(request: HttpRequest, code: str) -> Order:
    ev = request.event  # type: ignore[attr-defined]
    order = get_object_or_404(Order, event=ev, code=code.upper())
    order.event = ev
    return order


@event_view(READ)
def order_detail(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    return _detail_page(request, order_expire_if_due(order=_order(request, code)))


def _refund_form_prefix(payment: OrderPayment) -> str:
    return f"refund-{payment.local_id}"


def _provider_name(providers: dict[str, Any], identifier: str) -> str:
    """The provider's name; the identifier only for a provider no longer installed."""
    provider = providers.get(identifier)
    return str(provider.verbose_name) if provider is not None else identifier


def _payment_rows(
    order: Order, refunds: list[OrderRefund], providers: dict[str, Any], bound: RefundForm | None
) -> list[dict[str, Any]]:
    """Each payment with its public ids and, where its provider refunds it, a refund form."""
    rows = []
    for payment in order.payments.all():
        counted = (r.amount for r in refunds if r.payment_id == payment.pk and r.state in COUNTING)
        left = payment.amount - sum(counted, Decimal("0.00"))
        provider = providers.get(payment.provider)
        form = None
        if (
            payment.state in (OrderPayment.State.CONFIRMED, OrderPayment.State.REFUNDED)
            and left > 0
            and provider is not None
            and provider.refunds_automatically
        ):
            prefix = _refund_form_prefix(payment)
            if bound is not None and bound.prefix == prefix:
                # Shown again with its errors, and with what is left now, so that correcting
                # the amount and submitting again is not refused as outdated.
                bound.data = {**bound.data, bound.add_prefix("left"): str(left)}
                form = bound
            else:
                form = RefundForm(prefix=prefix, initial={"left": left})
        rows.append(
            {
                "payment": payment,
                "provider_name": _provider_name(providers, payment.provider),
                "details": payment.info.get(PUBLIC_INFO) or {},
                "left": left,
                "form": form,
            }
        )
    return rows


def _detail_page(
    request: HttpRequest, order: Order, *, refund_form: RefundForm | None = None, status: int = 200
) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    positions = list(order_positions(order).prefetch_related("checkins__checkin_list"))
    invoices = list(
        Invoice.objects.filter(order=order).select_related("refers").prefetch_related("cancellations")
    )
    log = list(order_log(order)[:100])
    providers = payment_providers(ev)
    refunds = list(order.refunds.all())
    return render(
        request,
        TEMPLATES + "order.html",
        {
            "order": order,
            "positions": positions,
            "payments": _payment_rows(order, refunds, providers, refund_form),
            "refunds": [
                {
                    "refund": r,
                    "provider_name": _provider_name(providers, r.provider),
                    "details": r.info.get(PUBLIC_INFO) or {},
                }
                for r in refunds
            ],
            "invoices": invoices,
            "log": log,
            "provider": providers.get(order.payment_provider),
            "cancel_form": CancelForm(),
            "extend_form": ExtendForm(),
            "paid_form": MarkPaidForm(),
            "entry": Checkin.Type.ENTRY,
        },
        status=status,
    )


def _run(request: HttpRequest, order: Order, call: Callable[[], Any], success: str) -> HttpResponse:
    try:
        call()
    except CapacityBusy:
        messages.error(request, _("The shop is busy right now, please try again in a moment."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, success)
    return to(request, "control.order", code=order.code)


@require_POST
@event_view(READ, post=WRITE)
def order_action(request: HttpRequest, organizer: str, event: str, code: str, action: str) -> HttpResponse:
    order = _order(request, code)
    user = request.user
    if action == "mark_paid":
        paid_form = MarkPaidForm(request.POST)
        if not paid_form.is_valid():
            messages.error(request, _("Please enter a valid amount."))
            return to(request, "control.order", code=order.code)
        return _run(
            request,
            order,
            lambda: order_mark_paid(
                order=order,
                amount=paid_form.cleaned_data["amount"],
                actor=user,
                send_email=paid_form.cleaned_data["send_email"],
            ),
            _("The order has been marked as paid."),
        )
    if action == "cancel":
        cancel_form = CancelForm(request.POST)
        if not cancel_form.is_valid():
            messages.error(request, _("Please enter a valid fee."))
            return to(request, "control.order", code=order.code)
        return _run(
            request,
            order,
            lambda: order_cancel(
                order=order,
                fee=cancel_form.cleaned_data["fee"],
                refund=cancel_form.cleaned_data["refund"],
                send_email=cancel_form.cleaned_data["send_email"],
                actor=user,
            ),
            _("The order has been canceled."),
        )
    if action == "extend":
        extend_form = ExtendForm(request.POST)
        expires = (
            in_timezone(extend_form.cleaned_data["expires"], order.event.timezone)
            if extend_form.is_valid()
            else None
        )
        if expires is None:
            messages.error(request, _("Please enter a valid date and time."))
            return to(request, "control.order", code=order.code)
        return _run(
            request,
            order,
            lambda: order_extend(order=order, expires=expires, actor=user),
            _("The payment deadline has been changed."),
        )
    simple: dict[str, tuple[Callable[[], Any], str]] = {
        "reactivate": (
            lambda: order_reactivate(order=order, actor=user),
            _("The order has been reactivated."),
        ),
        "approve": (lambda: order_approve(order=order, actor=user), _("The order has been approved.")),
        "accept_over_quota": (
            lambda: order_accept_over_quota(order=order, actor=user),
            _("The order has been marked as paid beyond its quota."),
        ),
        "refund_over_quota": (
            lambda: order_cancel(order=order, refund=True, actor=user),
            _("The order has been canceled and its payment refunded."),
        ),
        "deny": (lambda: order_deny(order=order, actor=user), _("The order has been denied.")),
        "resend": (lambda: order_resend_link(order=order, actor=user), _("The link has been sent again.")),
        "invoice": (lambda: invoice_create(order=order, actor=user), _("An invoice has been issued.")),
        "invoice_regenerate": (
            lambda: invoice_regenerate(order=order, actor=user),
            _("The invoice has been canceled and issued again."),
        ),
    }
    if action not in simple:
        messages.error(request, _("Unknown action."))
        return to(request, "control.order", code=order.code)
    call, success = simple[action]
    return _run(request, order, call, success)


@require_POST
@event_view(READ, post=WRITE)
def payment_refund(request: HttpRequest, organizer: str, event: str, code: str, payment: int) -> HttpResponse:
    """Refund all or part of a payment through its provider, as the API's refund endpoint does."""
    order = _order(request, code)
    target = get_object_or_404(OrderPayment, order=order, local_id=payment)
    target.order = order
    form = RefundForm(request.POST, prefix=_refund_form_prefix(target))
    if form.is_valid():
        try:
            refund = refund_create(
                payment=target,
                amount=form.cleaned_data["amount"],
                left_seen=form.cleaned_data["left"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("A refund of %(amount)s %(currency)s has been started.")
                % {"amount": refund.amount, "currency": order.event.currency},
            )
            return to(request, "control.order", code=order.code)
    return _detail_page(request, order, refund_form=form, status=400)


@require_POST
@event_view(READ, post=WRITE)
def invoice_cancel_view(request: HttpRequest, organizer: str, event: str, code: str, pk: int) -> HttpResponse:
    order = _order(request, code)
    invoice = get_object_or_404(Invoice, order=order, pk=pk)
    return _run(
        request,
        order,
        lambda: invoice_cancel(invoice=invoice, actor=request.user),
        _("A cancellation invoice has been issued."),
    )


@event_view(READ)
def invoice_download(
    request: HttpRequest, organizer: str, event: str, code: str, pk: int
) -> HttpResponseBase:
    order = _order(request, code)
    invoice: Invoice = get_object_or_404(
        Invoice.objects.select_related("event", "order", "refers"), order=order, pk=pk
    )
    return serve_private_file(
        request, invoice_pdf_store(invoice=invoice), filename=invoice_pdf_filename(invoice), content_type=PDF
    )


@event_view(READ)
def ticket_download(
    request: HttpRequest, organizer: str, event: str, code: str, positionid: int
) -> HttpResponseBase:
    order = _order(request, code)
    position = get_object_or_404(
        order.positions.select_related("product", "variation"), positionid=positionid
    )
    position.order = order
    return serve_private_file(
        request, ticket_pdf_stored(position), filename=ticket_pdf_filename(position), content_type=PDF
    )


@event_view(READ)
def answer_file_download(
    request: HttpRequest, organizer: str, event: str, code: str, positionid: int, pk: int
) -> HttpResponseBase:
    """The file an attendee uploaded to a file question, under the name it was uploaded with."""
    order = _order(request, code)
    answer = get_object_or_404(
        QuestionAnswer, position__order=order, position__positionid=positionid, pk=pk, file__gt=""
    )
    return serve_private_file(request, answer.file.name, filename=answer.answer or "upload")
