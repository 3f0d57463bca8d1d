"""The shop's rules for what may be bought, shared by the cart, the checkout and the API."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.storage import private_storage, unguessable_name
from eventyay_tickets.models import Product, ProductVariation, Question, QuestionOption, Voucher
from eventyay_tickets.selectors import order_catalogue
from eventyay_tickets.services.quotas import Line, QuotaLinks


@dataclass
class Answer:
    question: Question
    text: str
    options: list[QuestionOption] = field(default_factory=list)
    file: Any = None
    #: A file this cart uploaded earlier (checkout uploads are saved when the step is submitted).
    stored_path: str = ""


@dataclass
class PreparedPosition:
    index: int
    product: Product
    variation: ProductVariation | None
    price: Decimal
    voucher: Voucher | None = None
    attendee_name: str = ""
    attendee_email: str = ""
    answers: list[Answer] = field(default_factory=list)

    def line(self) -> Line:
        return Line(
            index=self.index,
            product_id=self.product.pk,
            variation_id=self.variation.pk if self.variation else None,
            voucher_id=self.voucher.pk if self.voucher else None,
            ignore_quota=bool(self.voucher and self.voucher.allow_ignore_quota),
        )


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _voucher_applies(
    voucher: Voucher, product: Product, variation: ProductVariation | None, links: QuotaLinks
) -> bool:
    if not voucher.applies_to(product, variation):
        return False
    if voucher.quota_id:
        return voucher.quota_id in links.quotas_for(product.pk, variation.pk if variation else None)
    return True


def _cart_uploads(event: Event, cart_id: str) -> str:
    """The private folder of one cart's uploads, named after a keyed digest of the cart's id."""
    digest = salted_hmac("eventyay_tickets.cart_uploads", f"{event.pk}:{cart_id}").hexdigest()[:32]
    return f"tickets/uploads/{event.pk}/{digest}"


def cart_upload_save(*, event: Event, cart_id: str, upload: File) -> str:
    """Keep a file uploaded during checkout until the order is placed; returns its storage name.

    Only the same cart can later name this file as a file answer (see ``prepare_positions``).
    """
    return private_storage.save(unguessable_name(_cart_uploads(event, cart_id), upload.name or ""), upload)


def _cart_upload_owned(event: Event, cart_id: str | None, name: str) -> bool:
    if not cart_id:
        return False
    folder, _sep, leaf = name.rpartition("/")
    return (
        folder == _cart_uploads(event, cart_id)
        and leaf not in ("", ".", "..")
        and private_storage.exists(name)
    )


def _answer(
    question: Question, raw: dict[str, Any], *, event: Event, cart_id: str | None
) -> Answer | str | None:
    """Parse one answer; returns an error message, or None when it is empty."""
    value = raw.get("answer")
    options_by_key = {str(o.pk): o for o in question.options.all()} | {
        o.identifier: o for o in question.options.all()
    }
    if question.type == Question.Type.FILE:
        upload = raw.get("file") or (value if hasattr(value, "read") else None)
        if upload is None and isinstance(value, str) and value:
            # A name instead of a file: only an upload of this very cart, never any stored file.
            if not _cart_upload_owned(event, cart_id, value):
                return _("Upload the file again.")
            name = str(raw.get("file_name") or "")[:255] or value.rsplit("/", 1)[-1]
            return Answer(question=question, text=name, stored_path=value)
        if upload is None:
            return None
        return Answer(question=question, text=getattr(upload, "name", "file"), file=upload)
    if question.type == Question.Type.MULTIPLE:
        keys = raw.get("options") if raw.get("options") is not None else value
        if keys in (None, "", []):
            return None
        keys = keys if isinstance(keys, list | tuple) else str(keys).split(",")
        found = [options_by_key.get(str(key).strip()) for key in keys]
        chosen = [option for option in found if option is not None]
        if len(chosen) != len(found):
            return _("Unknown option.")
        return Answer(question=question, text=", ".join(str(o.answer) for o in chosen), options=chosen)
    if question.type == Question.Type.CHOICE:
        key = (raw.get("options") or [value])[0] if raw.get("options") else value
        if key in (None, ""):
            return None
        option = options_by_key.get(str(key))
        if option is None:
            return _("Unknown option.")
        return Answer(question=question, text=str(option.answer), options=[option])
    if question.type == Question.Type.BOOLEAN:
        truthy = value is True or str(value).lower() in ("true", "1", "yes", "on")
        if not truthy and question.required:
            return None
        return Answer(question=question, text="True" if truthy else "False")
    if value in (None, ""):
        return None
    text = str(value).strip()
    if question.type == Question.Type.NUMBER:
        try:
            Decimal(text)
        except InvalidOperation:
            return _("Enter a number.")
    elif question.type == Question.Type.DATE and parse_date(text) is None:
        return _("Enter a date as YYYY-MM-DD.")
    return Answer(question=question, text=text[:5000])


def prepare_positions(
    *,
    event: Event,
    positions: list[dict[str, Any]],
    now: dt.datetime,
    explicit_prices: bool = False,
    check_answers: bool = True,
    cart_id: str | None = None,
) -> tuple[list[PreparedPosition], list[dict[str, list[str]]], QuotaLinks]:
    """Check each requested position against the catalogue; errors are collected per index.

    A price in the request is only taken with ``explicit_prices`` (organizer API calls and
    carts, whose prices were fixed when the product was reserved). A file answer given as a
    storage name must be an upload of the cart ``cart_id`` (:func:`cart_upload_save`).
    """
    errors: list[dict[str, list[str]]] = [{} for _p in positions]
    catalogue = order_catalogue(event)
    products = catalogue.products
    codes = {p["voucher"] for p in positions if isinstance(p.get("voucher"), str) and p.get("voucher")}
    voucher_ids = {
        _pk(p["voucher"]) for p in positions if p.get("voucher") and not isinstance(p["voucher"], str)
    }
    vouchers_by_code: dict[str, Voucher] = {}
    vouchers_by_id: dict[int, Voucher] = {}
    if codes or voucher_ids:
        from django.db.models import Q

        for known in Voucher.objects.filter(Q(code__in=codes) | Q(pk__in=voucher_ids), event=event):
            vouchers_by_code[known.code] = known
            vouchers_by_id[known.pk] = known
    questions = catalogue.questions if check_answers else {}
    links = catalogue.links
    prepared: list[PreparedPosition] = []
    for index, raw in enumerate(positions):
        err = errors[index]
        raw_product = _pk(raw.get("product"))
        product = products.get(int(raw_product)) if str(raw_product).isdigit() else None
        if product is None:
            err["product"] = [_("This product does not exist.")]
            continue
        state = product.sale_state(now)
        if state == "inactive":
            err["product"] = [_("This product is not available.")]
        elif state == "not_yet":
            err["product"] = [_("This product is not on sale yet.")]
        elif state == "over":
            err["product"] = [_("This product is no longer on sale.")]
        variations = {v.pk: v for v in product.variations.all()}
        variation = None
        raw_variation = _pk(raw.get("variation"))
        if variations:
            variation = variations.get(raw_variation)
            if variation is None or not variation.active:
                err["variation"] = [_("Choose one of the product's variations.")]
        elif raw_variation:
            err["variation"] = [_("This product has no variations.")]
        voucher = None
        raw_voucher = raw.get("voucher")
        if raw_voucher:
            voucher = (
                vouchers_by_code.get(raw_voucher)
                if isinstance(raw_voucher, str)
                else vouchers_by_id.get(_pk(raw_voucher))
            )
            if voucher is None:
                err["voucher"] = [_("This voucher code is not known.")]
            elif not voucher.is_valid_now():
                err["voucher"] = [_("This voucher has expired.")]
            elif not _voucher_applies(voucher, product, variation, links):
                err["voucher"] = [_("This voucher is not valid for this product.")]
        if product.require_voucher and voucher is None and "voucher" not in err:
            err["product"] = [_("This product can only be bought with a voucher.")]
        if not links.quotas_for(product.pk, variation.pk if variation else None) and "product" not in err:
            err["product"] = [_("This product is not available.")]
        base_price = variation.effective_price if variation else product.price
        price = voucher.calculate_price(base_price) if voucher and "voucher" not in err else base_price
        if explicit_prices and raw.get("price") not in (None, ""):
            try:
                price = Decimal(str(raw["price"])).quantize(Decimal("0.01"))
                if price < 0:
                    raise InvalidOperation
            except InvalidOperation:
                err["price"] = [_("Enter a valid, non-negative price.")]
        attendee_email = str(raw.get("attendee_email") or "").strip()
        if attendee_email:
            try:
                validate_email(attendee_email)
            except ValidationError:
                err["attendee_email"] = [_("Enter a valid email address.")]
        answers: list[Answer] = []
        if check_answers:
            given = {
                int(_pk(a.get("question"))): a
                for a in raw.get("answers") or []
                if str(_pk(a.get("question"))).isdigit()
            }
            allowed = {q.pk: q for q in questions.get(product.pk, [])}
            unknown = set(given) - set(allowed)
            answer_errors = []
            if unknown:
                answer_errors.append(_("Question %s does not apply to this product.") % min(unknown))
            for question in allowed.values():
                parsed = _answer(question, given.get(question.pk, {}), event=event, cart_id=cart_id)
                if isinstance(parsed, str):
                    answer_errors.append(f"{question.question}: {parsed}")
                elif parsed is None:
                    if question.required:
                        answer_errors.append(_("%s: This question is required.") % question.question)
                else:
                    answers.append(parsed)
            if answer_errors:
                err["answers"] = answer_errors
        prepared.append(
            PreparedPosition(
                index=index,
                product=product,
                variation=variation,
                price=price,
                voucher=voucher,
                attendee_name=str(raw.get("attendee_name") or "").strip()[:255],
                attendee_email=attendee_email,
                answers=answers,
            )
        )
    counts = Counter(p.product.pk for p in prepared)
    seen: Counter[int] = Counter()
    for position in prepared:
        product = position.product
        seen[product.pk] += 1
        if product.max_per_order and seen[product.pk] > product.max_per_order:
            errors[position.index].setdefault("product", []).append(
                _("You can buy at most %(n)s of this product per order.") % {"n": product.max_per_order}
            )
        if product.min_per_order and counts[product.pk] < product.min_per_order:
            errors[position.index].setdefault("product", []).append(
                _("You need to buy at least %(n)s of this product per order.") % {"n": product.min_per_order}
            )
    return prepared, errors, links
