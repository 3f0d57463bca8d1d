"""Products (with variations), quotas (with fill level), vouchers (with bulk generation), questions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eventyay.base.services.action_jobs import action_job_url
from eventyay.control.forms import add_service_errors
from eventyay.control.pagination import page_of
from eventyay.control.permissions import event_view
from eventyay_tickets.control_views.common import ITEMS, READ, error_text, to
from eventyay_tickets.control_views.forms import (
    ProductForm,
    QuestionForm,
    QuotaForm,
    VariationForm,
    VoucherBulkForm,
    VoucherForm,
)
from eventyay_tickets.models import Product, ProductVariation, Question, Quota, Voucher
from eventyay_tickets.services import catalogue_delete, catalogue_save, quota_availability
from eventyay_tickets.voucher_jobs import vouchers_bulk_job_create

TEMPLATES = "eventyay_tickets/control/"


def _m2m(form) -> dict:
    return {name: form.cleaned_data[name] for name in form._meta.fields if name in form.cleaned_data}


def _save(request: HttpRequest, form, model, instance=None, extra: dict | None = None):
    """Validate ``form`` and save through ``catalogue_save``; returns the object or None."""
    if not form.is_valid():
        return None
    data = {**_m2m(form), **(extra or {})}
    try:
        return catalogue_save(
            event=request.event,  # type: ignore[attr-defined]
            model=model,
            data=data,
            instance=instance,
            actor=request.user,  # type: ignore[attr-defined]
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def _delete(request: HttpRequest, instance, back: str, **kwargs) -> HttpResponse:
    try:
        catalogue_delete(event=request.event, instance=instance, actor=request.user)  # type: ignore[attr-defined]
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Deleted."))
    return to(request, back, **kwargs)


def _form_page(request: HttpRequest, form, title: str, back: str, obj=None, **extra) -> HttpResponse:
    return render(
        request,
        TEMPLATES + "form.html",
        {"form": form, "title": title, "back": back, "object": obj, **extra},
    )


# --- products --------------------------------------------------------------------------------


@event_view(READ)
def products(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    rows = (
        Product.objects.filter(event=request.event)  # type: ignore[attr-defined]
        .select_related("category", "tax_rule")
        .prefetch_related("variations")
    )
    return render(request, TEMPLATES + "products.html", {"products": rows})


@event_view(READ, post=ITEMS)
def product_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    product = get_object_or_404(Product, event=ev, pk=pk) if pk else None
    form = ProductForm(request.POST or None, instance=product, event=ev)
    if request.method == "POST":
        if request.POST.get("delete") and product:
            return _delete(request, product, "control.products")
        saved = _save(request, form, Product, product)
        if saved is not None:
            messages.success(request, _("The product has been saved."))
            return to(request, "control.product", pk=saved.pk)
    variation_form = VariationForm(prefix="variation", event=ev)
    return render(
        request,
        TEMPLATES + "product.html",
        {
            "form": form,
            "product": product,
            "variations": list(product.variations.all()) if product else [],
            "variation_form": variation_form,
        },
    )


@event_view(READ, post=ITEMS)
def variation_edit(
    request: HttpRequest, organizer: str, event: str, product: int, pk: int | None = None
) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    parent = get_object_or_404(Product, event=ev, pk=product)
    variation = get_object_or_404(ProductVariation, product=parent, pk=pk) if pk else None
    form = VariationForm(request.POST or None, instance=variation, event=ev, prefix="variation")
    if request.method == "POST":
        if request.POST.get("delete") and variation:
            return _delete(request, variation, "control.product", pk=parent.pk)
        if _save(request, form, ProductVariation, variation, {"product": parent}) is not None:
            messages.success(request, _("The variation has been saved."))
            return to(request, "control.product", pk=parent.pk)
    return _form_page(
        request,
        form,
        _("Variation of %s") % parent.name,
        "control.products",
        variation,
        delete=bool(variation),
    )


# --- quotas ----------------------------------------------------------------------------------


@event_view(READ)
def quotas(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    availability = quota_availability(event=ev)
    rows = []
    for quota in Quota.objects.filter(event=ev).prefetch_related("products"):
        used = int(availability.get(quota.pk, {}).get("used") or 0)
        percent = min(100, round(100 * used / quota.size)) if quota.size else 0
        rows.append({"quota": quota, "used": used, "percent": percent})
    return render(request, TEMPLATES + "quotas.html", {"quotas": rows})


@event_view(READ, post=ITEMS)
def quota_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    quota = get_object_or_404(Quota, event=ev, pk=pk) if pk else None
    form = QuotaForm(request.POST or None, instance=quota, event=ev)
    if request.method == "POST":
        if request.POST.get("delete") and quota:
            return _delete(request, quota, "control.quotas")
        if _save(request, form, Quota, quota) is not None:
            messages.success(request, _("The quota has been saved."))
            return to(request, "control.quotas")
    return _form_page(request, form, _("Quota"), "control.quotas", quota, delete=bool(quota))


# --- vouchers --------------------------------------------------------------------------------


@event_view(READ)
def vouchers(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    rows = (
        Voucher.objects.filter(event=ev)
        .select_related("product", "variation", "quota")
        .order_by("-created", "-pk")
    )
    query = request.GET.get("query", "").strip()
    if query:
        rows = rows.filter(Q(code__icontains=query) | Q(tag=query))
    return render(request, TEMPLATES + "vouchers.html", {"page": page_of(rows, request), "query": query})


@event_view(READ, post=ITEMS)
def voucher_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    voucher = get_object_or_404(Voucher, event=ev, pk=pk) if pk else None
    form = VoucherForm(request.POST or None, instance=voucher, event=ev)
    if request.method == "POST":
        if request.POST.get("delete") and voucher:
            return _delete(request, voucher, "control.vouchers")
        if _save(request, form, Voucher, voucher) is not None:
            messages.success(request, _("The voucher has been saved."))
            return to(request, "control.vouchers")
    return _form_page(request, form, _("Voucher"), "control.vouchers", voucher, delete=bool(voucher))


@event_view(READ, post=ITEMS)
def vouchers_bulk(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    form = VoucherBulkForm(request.POST or None, event=ev)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        count, prefix = data.pop("count"), data.pop("code_prefix")
        # Thousands of vouchers take a while: a job creates them and its page shows progress.
        job = vouchers_bulk_job_create(event=ev, user=request.user, count=count, prefix=prefix, data=data)  # type: ignore[arg-type]
        return redirect(action_job_url(job))
    return _form_page(
        request, form, _("Create many vouchers"), "control.vouchers", long_action=_("Creating the vouchers…")
    )


# --- questions -------------------------------------------------------------------------------


@event_view(READ)
def questions(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    rows = Question.objects.filter(event=request.event).prefetch_related("products", "options")  # type: ignore[attr-defined]
    return render(request, TEMPLATES + "questions.html", {"questions": rows})


@event_view(READ, post=ITEMS)
def question_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    question = get_object_or_404(Question, event=ev, pk=pk) if pk else None
    form = QuestionForm(request.POST or None, instance=question, event=ev)
    if request.method == "POST":
        if request.POST.get("delete") and question:
            return _delete(request, question, "control.questions")
        if form.is_valid():
            data = {k: v for k, v in _m2m(form).items() if k != "options_text"}
            options = form.options()
            if options is not None:
                data["options"] = options
            try:
                catalogue_save(event=ev, model=Question, data=data, instance=question, actor=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The question has been saved."))
                return to(request, "control.questions")
    return _form_page(request, form, _("Question"), "control.questions", question, delete=bool(question))
