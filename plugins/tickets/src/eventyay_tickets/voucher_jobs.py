"""Creating many vouchers as a job of the control panel (up to thousands, with progress)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eventyay.base.models import Event, Job, User
from eventyay.base.services.action_jobs import ActionOutcome, action_job_create, action_job_runner
from eventyay.base.services.jobs import JobFailed, ProgressWriter
from eventyay_tickets.models import Product, Voucher
from eventyay_tickets.models.catalogue import generate_voucher_code
from eventyay_tickets.services import vouchers_create

VOUCHERS_JOB_KIND = "tickets.vouchers_bulk"


def vouchers_bulk_job_create(
    *, event: Event, user: User, count: int, prefix: str, data: dict[str, Any]
) -> Job:
    """Queue ``count`` vouchers with random codes after ``prefix`` and the settings in ``data``
    (the bulk form's other fields)."""
    product = data.get("product")
    valid_until = data.get("valid_until")
    options = {
        **data,
        "count": count,
        "prefix": prefix,
        "product": product.pk if isinstance(product, Product) else None,
        "valid_until": valid_until.isoformat() if isinstance(valid_until, dt.datetime) else None,
        "value": str(data.get("value", "0")),
    }
    return action_job_create(
        kind=VOUCHERS_JOB_KIND,
        event=event,
        user=user,
        title=_("Create many vouchers"),
        identifier=prefix or "-",
        options=options,
    )


def _fresh_codes(event: Event, prefix: str, count: int) -> list[str]:
    taken = set(Voucher.objects.filter(event=event, code__startswith=prefix).values_list("code", flat=True))
    codes: set[str] = set()
    while len(codes) < count:
        code = prefix + generate_voucher_code()
        if code not in taken:
            codes.add(code)
    return sorted(codes)


def _vouchers_bulk_run(job: Job, progress: ProgressWriter) -> ActionOutcome:
    event = job.event
    if event is None:
        raise JobFailed(_("The event no longer exists."))
    options = job.options
    product = None
    if options.get("product"):
        product = Product.objects.filter(event=event, pk=options["product"]).first()
        if product is None:
            raise JobFailed(_("The chosen product no longer exists."))
    valid_until = options.get("valid_until")
    settings = {
        "max_usages": options["max_usages"],
        "valid_until": dt.datetime.fromisoformat(valid_until) if valid_until else None,
        "product": product,
        "price_mode": options["price_mode"],
        "value": Decimal(options["value"]),
        "allow_ignore_quota": bool(options.get("allow_ignore_quota")),
        "tag": options.get("tag", ""),
    }
    codes = _fresh_codes(event, options["prefix"], int(options["count"]))
    try:
        # One transaction: all vouchers or none.
        created = vouchers_create(
            event=event,
            rows=[{**settings, "code": code} for code in codes],
            actor=job.user,
            progress=progress,
        )
    except ValidationError as error:
        raise JobFailed(" ".join(error.messages)) from error
    return ActionOutcome(
        message=ngettext("%d voucher has been created.", "%d vouchers have been created.", len(created))
        % len(created),
        url=reverse(
            "plugins:tickets:control.vouchers",
            kwargs={"organizer": event.organizer.slug, "event": event.slug},
        ),
        link_label=_("Go to the vouchers"),
    )


vouchers_bulk_job_run = action_job_runner(_vouchers_bulk_run)
