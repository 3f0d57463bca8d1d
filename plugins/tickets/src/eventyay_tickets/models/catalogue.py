"""What an event sells: categories, products and variations, quotas, questions, vouchers, taxes."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from i18nfield.fields import I18nCharField, I18nTextField

from eventyay.base.models import Event

# Precision of every money amount (prices, totals, fees, payments).
MONEY_DIGITS = 13
MONEY_PLACES = 2


class TaxRule(models.Model):
    """A tax rate; ``price_includes_tax`` says whether product prices are entered gross or net."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tax_rules")
    name = I18nCharField(_("Name"), max_length=190)
    rate = models.DecimalField(_("Rate (%)"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    price_includes_tax = models.BooleanField(_("Prices include tax (gross)"), default=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("rate", "pk")

    def __str__(self) -> str:
        return f"{self.name} ({self.rate} %)"

    def split(self, price: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        """``(gross, net, tax)`` for a product price as entered, rounded to cents."""
        cent = Decimal("0.01")
        if self.price_includes_tax:
            gross = price
            net = (price * 100 / (100 + self.rate)).quantize(cent)
        else:
            net = price
            gross = (price * (100 + self.rate) / 100).quantize(cent)
        return gross, net, gross - net


class Category(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="product_categories")
    name = I18nCharField(_("Name"), max_length=190)
    description = I18nTextField(_("Description"), blank=True, null=True)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("position", "pk")
        verbose_name_plural = _("Categories")

    def __str__(self) -> str:
        return str(self.name)


class Product(models.Model):
    """Something an attendee can buy: a ticket (``admission``), merchandise, a workshop seat."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    name = I18nCharField(_("Name"), max_length=190)
    description = I18nTextField(_("Description"), blank=True, null=True)
    price = models.DecimalField(
        _("Price"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        default=Decimal("0.00"),
        validators=[MinValueValidator(0)],
    )
    tax_rule = models.ForeignKey(TaxRule, on_delete=models.PROTECT, null=True, blank=True)
    admission = models.BooleanField(_("Grants admission"), default=True)
    active = models.BooleanField(_("Active"), default=True)
    available_from = models.DateTimeField(_("On sale from"), null=True, blank=True)
    available_until = models.DateTimeField(_("On sale until"), null=True, blank=True)
    min_per_order = models.PositiveIntegerField(_("Minimum per order"), null=True, blank=True)
    max_per_order = models.PositiveIntegerField(_("Maximum per order"), null=True, blank=True)
    require_voucher = models.BooleanField(_("Can only be bought with a voucher"), default=False)
    hidden = models.BooleanField(_("Only shown with a voucher for it"), default=False)
    require_approval = models.BooleanField(_("Orders need approval by the organizer"), default=False)

    class AttendeeName(models.TextChoices):
        AUTO = "auto", _("Required for admission products, not asked otherwise")
        REQUIRED = "required", _("Required")
        OPTIONAL = "optional", _("Asked, optional")
        NO = "no", _("Not asked")

    #: Whether the checkout asks for the attendee's name (and email) for this product: a ticket
    #: names its holder, a T-shirt usually needs no name.
    attendee_name = models.CharField(
        _("Attendee name at checkout"), max_length=8, choices=AttendeeName.choices, default=AttendeeName.AUTO
    )
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("category__position", "position", "pk")

    def __str__(self) -> str:
        return str(self.name)

    @property
    def asks_attendee_name(self) -> bool:
        """Whether the checkout shows the attendee fields for this product."""
        if self.attendee_name == self.AttendeeName.AUTO:
            return self.admission
        return self.attendee_name != self.AttendeeName.NO

    @property
    def requires_attendee_name(self) -> bool:
        if self.attendee_name == self.AttendeeName.AUTO:
            return self.admission
        return self.attendee_name == self.AttendeeName.REQUIRED

    @property
    def tax_rate(self) -> Decimal:
        return self.tax_rule.rate if self.tax_rule is not None else Decimal("0.00")

    def sale_state(self, now=None) -> str:
        """``"active"``, ``"not_yet"``, ``"over"`` or ``"inactive"``."""
        now = now or timezone.now()
        if not self.active:
            return "inactive"
        if self.available_from and now < self.available_from:
            return "not_yet"
        if self.available_until and now > self.available_until:
            return "over"
        return "active"


class ProductVariation(models.Model):
    """A variant of a product (a T-shirt size, a workshop slot), optionally with its own price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variations")
    value = I18nCharField(_("Name"), max_length=190)
    price = models.DecimalField(
        _("Price"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    active = models.BooleanField(_("Active"), default=True)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="product__event__organizer")

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return str(self.value)

    @property
    def effective_price(self) -> Decimal:
        return self.price if self.price is not None else self.product.price


def _save_keeping_counter(obj: models.Model, counter: str, args: Any, kwargs: dict[str, Any]) -> None:
    """``save()`` that leaves a counter column to its conditional updates (see ``services.quotas``)."""
    if (
        not obj._state.adding
        and obj.pk is not None
        and kwargs.get("update_fields") is None
        and not kwargs.get("force_insert")
    ):
        kwargs["update_fields"] = [
            f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name != counter
        ]
    models.Model.save(obj, *args, **kwargs)


class Quota(models.Model):
    """How many of some products/variations may be sold; ``size`` None means unlimited.

    A position counts against a quota when its product is in ``products`` and it has no
    variation or its variation is in ``variations``.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="quotas")
    name = models.CharField(_("Name"), max_length=190)
    size = models.PositiveIntegerField(_("Size"), null=True, blank=True, help_text=_("Empty for unlimited."))
    products = models.ManyToManyField(Product, related_name="quotas", blank=True)
    # The django plugin stops generating implicit through models of a class after the first one when the
    # class's manager is built at run time (ScopedManager), so this second field is annotated here.
    variations: models.ManyToManyField[ProductVariation, models.Model] = models.ManyToManyField(
        ProductVariation, related_name="quotas", blank=True
    )
    close_when_sold_out = models.BooleanField(_("Close when sold out"), default=False)
    closed = models.BooleanField(_("Closed"), default=False)
    #: Places taken (positions of pending and paid orders, cart positions). Only the services in
    #: ``eventyay_tickets.services.quotas`` change it, each with one statement in the transaction
    #: of the transition; ``save()`` never writes it, so a stale instance cannot overwrite it.
    used = models.PositiveIntegerField(default=0, editable=False)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("name", "pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__isnull=True) | models.Q(used__lte=models.F("size")),
                name="tickets_quota_used_within_size",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        _save_keeping_counter(self, "used", args, kwargs)


class Question(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        MULTIPLE = "multiple", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes/no")
        DATE = "date", _("Date")
        FILE = "file", _("File upload")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    question = I18nCharField(_("Question"), max_length=400)
    help_text = I18nTextField(_("Help text"), blank=True, null=True)
    type = models.CharField(_("Type"), max_length=16, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField(_("Required"), default=False)
    products = models.ManyToManyField(Product, related_name="questions", blank=True)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return str(self.question)


class QuestionOption(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    identifier = models.CharField(max_length=64)
    answer = I18nCharField(_("Answer"), max_length=400)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="question__event__organizer")

    class Meta:
        ordering = ("position", "pk")
        unique_together = (("question", "identifier"),)

    def __str__(self) -> str:
        return str(self.answer)


def generate_voucher_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _i in range(12))


class Voucher(models.Model):
    """A code that unlocks, discounts or reserves products; ``redeemed`` counts its uses."""

    class PriceMode(models.TextChoices):
        NONE = "none", _("No price change")
        SET = "set", _("Set price to")
        SUBTRACT = "subtract", _("Subtract from price")
        PERCENT = "percent", _("Reduce price by percent")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(_("Code"), max_length=190, default=generate_voucher_code)
    max_usages = models.PositiveIntegerField(_("Maximum usages"), default=1)
    #: Redemptions (positions of pending and paid orders, cart positions), changed like
    #: ``Quota.used`` by one conditional statement per transition and never by ``save()``.
    redeemed = models.PositiveIntegerField(default=0)
    valid_until = models.DateTimeField(_("Valid until"), null=True, blank=True)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="vouchers"
    )
    variation = models.ForeignKey(
        ProductVariation, on_delete=models.CASCADE, null=True, blank=True, related_name="vouchers"
    )
    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, null=True, blank=True, related_name="vouchers")
    price_mode = models.CharField(max_length=16, choices=PriceMode.choices, default=PriceMode.NONE)
    value = models.DecimalField(
        _("Value"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=Decimal("0.00")
    )
    allow_ignore_quota = models.BooleanField(_("May be redeemed when the quota is sold out"), default=False)
    tag = models.CharField(_("Tag"), max_length=190, blank=True, db_index=True)
    comment = models.TextField(_("Comment"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("code",)
        unique_together = (("event", "code"),)

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        _save_keeping_counter(self, "redeemed", args, kwargs)

    def applies_to(self, product: Product, variation: ProductVariation | None) -> bool:
        if self.product_id and self.product_id != product.pk:
            return False
        return not (self.variation_id and (variation is None or self.variation_id != variation.pk))

    def calculate_price(self, original: Decimal) -> Decimal:
        if self.price_mode == self.PriceMode.SET:
            price = self.value
        elif self.price_mode == self.PriceMode.SUBTRACT:
            price = original - self.value
        elif self.price_mode == self.PriceMode.PERCENT:
            price = original * (Decimal(100) - self.value) / Decimal(100)
        else:
            price = original
        return max(Decimal("0.00"), price).quantize(Decimal("0.01"))

    def is_valid_now(self) -> bool:
        return self.valid_until is None or timezone.now() <= self.valid_until
