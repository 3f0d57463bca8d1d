"""What was bought: carts (reservations), orders, their positions, answers, payments, refunds."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower, StrIndex, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event
from eventyay.base.storage import UnguessableName, get_private_storage
from eventyay_tickets.attribution import order_utm_default
from eventyay_tickets.models.catalogue import (
    MONEY_DIGITS,
    MONEY_PLACES,
    Product,
    ProductVariation,
    Question,
    QuestionOption,
    Voucher,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"


def generate_order_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(5))


def generate_secret() -> str:
    return secrets.token_urlsafe(12)


def generate_position_secret() -> str:
    return secrets.token_urlsafe(24)


class CartPosition(models.Model):
    """One product held for a shopper's cart until ``expires``.

    It counts against its quotas (unless ``quota_exempt``) and its voucher for as long as the row
    exists: expiry deletes it and gives the places back in one transaction
    (``services.cart.carts_release_expired``).
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="cart_positions")
    cart_id = models.CharField(max_length=64, db_index=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    variation = models.ForeignKey(ProductVariation, on_delete=models.PROTECT, null=True, blank=True)
    price = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, null=True, blank=True)
    attendee_name = models.CharField(max_length=255, blank=True)
    attendee_email = models.EmailField(blank=True)
    datetime = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField(db_index=True)
    #: Reserved with a voucher that may ignore quotas: counted against no quota.
    quota_exempt = models.BooleanField(default=False)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.cart_id}: {self.product_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        EXPIRED = "expired", _("expired")
        CANCELED = "canceled", _("canceled")

    #: States whose positions hold quota.
    HOLDING = (Status.PENDING, Status.PAID)

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="orders")
    code = models.CharField(max_length=16, db_index=True)
    secret = models.CharField(max_length=32, default=generate_secret)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    require_approval = models.BooleanField(default=False)
    email = models.EmailField(blank=True, db_index=True)
    #: ``email`` lower-cased by the database, indexed for prefix search in the back office.
    email_key = models.GeneratedField(
        expression=Lower("email"),
        output_field=models.CharField(max_length=254),
        db_persist=True,
        db_index=True,
    )
    locale = models.CharField(max_length=16, default="en")
    total = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=Decimal("0.00"))
    cancellation_fee = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=Decimal("0.00")
    )
    #: The payment provider's fee, included in ``total``.
    payment_fee = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=Decimal("0.00")
    )
    payment_provider = models.CharField(max_length=64, blank=True)
    datetime = models.DateTimeField(default=timezone.now, db_index=True)
    expires = models.DateTimeField(db_index=True)
    modified = models.DateTimeField(auto_now=True, db_index=True)
    expiry_reminder_sent = models.BooleanField(default=False)
    #: Mails of this order waiting for their documents, ``[{"template", "key"}]``: written with
    #: the transition, sent by a task once the documents are rendered, retried by the beat task
    #: if that task got lost (see :func:`~eventyay_tickets.services.notifications.order_mail`).
    mails_awaiting_documents = models.JSONField(default=list, blank=True)
    mails_awaiting_since = models.DateTimeField(null=True, blank=True, db_index=True)
    #: The attendee may change attendee details until this moment.
    editable_until = models.DateTimeField(null=True, blank=True)
    #: A payment arrived for this expired order when its quota was gone: the money is recorded,
    #: the order stays unpaid until the organizer marks it paid anyway or refunds it.
    paid_over_quota = models.BooleanField(default=False, db_index=True)
    #: The ``utm_*`` values of the buyer's first and last visit, ``{"first": {...}, "last":
    #: {...}}`` (see :mod:`eventyay_tickets.attribution`); ``{}`` if the visits carried none.
    utm = models.JSONField(default=order_utm_default, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("-datetime", "-pk")
        unique_together = (("event", "code"),)
        indexes = [models.Index(fields=["event", "status", "expires"])]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse(
            "plugins:tickets:order",
            kwargs={
                "organizer": self.event.organizer.slug,
                "event": self.event.slug,
                "code": self.code,
                "secret": self.secret,
            },
        )

    @property
    def full_code(self) -> str:
        """The reference used on bank transfers: event slug and order code."""
        return f"{self.event.slug.upper()}-{self.code}"

    @property
    def is_pending_past_deadline(self) -> bool:
        return self.status == self.Status.PENDING and self.expires < timezone.now()


class OrderPosition(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="positions")
    positionid = models.PositiveIntegerField(default=1)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_positions")
    variation = models.ForeignKey(
        ProductVariation, on_delete=models.PROTECT, null=True, blank=True, related_name="order_positions"
    )
    price = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    tax_rate = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    tax_value = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=Decimal("0.00")
    )
    attendee_name = models.CharField(max_length=255, blank=True)
    attendee_email = models.EmailField(blank=True)
    #: The attendee name lower-cased, and its part after the first word, both kept by the
    #: database (so every way of writing positions fills them) and indexed for prefix search.
    attendee_name_key = models.GeneratedField(
        expression=Lower("attendee_name"),
        output_field=models.CharField(max_length=255),
        db_persist=True,
        db_index=True,
    )
    attendee_name_rest_key = models.GeneratedField(
        expression=Lower(Substr("attendee_name", StrIndex("attendee_name", Value(" ")) + 1)),
        output_field=models.CharField(max_length=255),
        db_persist=True,
        db_index=True,
    )
    secret = models.CharField(max_length=64, unique=True, default=generate_position_secret)
    voucher = models.ForeignKey(
        Voucher, on_delete=models.PROTECT, null=True, blank=True, related_name="positions"
    )
    #: Sold beyond its quotas on purpose (a voucher that ignores quotas, or a payment accepted
    #: over quota): counted against no quota's ``used``.
    quota_exempt = models.BooleanField(default=False)

    objects = ScopedManager(organizer="order__event__organizer")

    class Meta:
        ordering = ("order", "positionid")
        unique_together = (("order", "positionid"),)
        indexes = [models.Index(fields=["product", "variation"])]

    def __str__(self) -> str:
        return f"{self.order.code}-{self.positionid}"


class QuestionAnswer(models.Model):
    position = models.ForeignKey(OrderPosition, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    answer = models.TextField(blank=True)
    options = models.ManyToManyField(QuestionOption, blank=True)
    #: The uploaded file of a file question; its original name is kept in ``answer``.
    file = models.FileField(
        storage=get_private_storage, upload_to=UnguessableName("tickets/answers"), null=True, blank=True
    )

    objects = ScopedManager(organizer="question__event__organizer")

    class Meta:
        unique_together = (("position", "question"),)

    def __str__(self) -> str:
        return self.answer


class OrderPayment(models.Model):
    class State(models.TextChoices):
        CREATED = "created", _("created")
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        FAILED = "failed", _("failed")
        CANCELED = "canceled", _("canceled")
        REFUNDED = "refunded", _("refunded")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    local_id = models.PositiveIntegerField(default=1)
    provider = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    created = models.DateTimeField(default=timezone.now)
    payment_date = models.DateTimeField(null=True, blank=True)
    #: Provider-specific data (transaction ids, bank statement line).
    info = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(organizer="order__event__organizer")

    class Meta:
        ordering = ("order", "local_id")
        unique_together = (("order", "local_id"),)

    def __str__(self) -> str:
        return f"{self.order.code}-P-{self.local_id}"


class OrderRefund(models.Model):
    class State(models.TextChoices):
        CREATED = "created", _("created")
        #: Claimed by the task that sends it; a redelivered task finds it taken.
        EXECUTING = "executing", _("being sent")
        MANUAL = "manual", _("to be done by the organizer")
        TRANSIT = "transit", _("in transit")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    payment = models.ForeignKey(OrderPayment, on_delete=models.PROTECT, null=True, related_name="refunds")
    local_id = models.PositiveIntegerField(default=1)
    provider = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    created = models.DateTimeField(default=timezone.now)
    execution_date = models.DateTimeField(null=True, blank=True)
    #: When a task claimed the refund for sending (state ``executing``).
    claimed = models.DateTimeField(null=True, blank=True)
    info = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(organizer="order__event__organizer")

    class Meta:
        ordering = ("order", "local_id")
        unique_together = (("order", "local_id"),)
        indexes = [models.Index(fields=["state", "created"])]

    def __str__(self) -> str:
        return f"{self.order.code}-R-{self.local_id}"
