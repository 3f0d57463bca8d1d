"""Campaigns and the messages they send, what recipients did with them, and what it brought.

``Message`` is this plugin's outbox: one row per recipient and channel, written in the
transaction that freezes a campaign's recipient list (or that fires an automation step), and
claimed by workers with :func:`eventyay.base.services.outbox.claim_due`. ``MessageEvent`` holds
what happened after sending (delivery reports, bounces, unsubscribes, opens, clicks), one row
per fact, so the figures of a campaign are aggregates over indexed rows. ``Attribution`` joins
orders and registrations to the UTM values that brought them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event, Organizer
from eventyay_campaigns.models.contacts import Contact, Segment

#: The UTM parameters a campaign sets on its links, in the order they are shown.
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELED = "canceled", _("Canceled")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("Name"), max_length=200)
    #: Identifier of a message channel (``register_message_channels``): ``email``, ``sms``, ...
    channel = models.CharField(_("Channel"), max_length=20, default="email")
    segment = models.ForeignKey(
        Segment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("Segment"),
    )
    #: An ad-hoc contact filter (the contacts API's query parameters), used without a segment.
    filters = models.JSONField(_("Filter"), default=dict, blank=True)
    subject = models.CharField(_("Subject"), max_length=300, blank=True)
    #: Markdown with ``{placeholder}`` fields, rendered per recipient to HTML and text.
    body = models.TextField(_("Body"))
    #: ``Name <address>`` of the sender; empty for the instance's default sender.
    sender = models.CharField(_("Sender"), max_length=254, blank=True)
    utm_source = models.CharField("utm_source", max_length=100, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=100, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=100, blank=True)
    utm_content = models.CharField("utm_content", max_length=100, blank=True)
    utm_term = models.CharField("utm_term", max_length=100, blank=True)
    #: An open pixel is indicative at best (mail clients load or block images on their own).
    track_opens = models.BooleanField(_("Count opens"), default=False)
    send_at = models.DateTimeField(_("Send at"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    #: Recipients frozen when sending started.
    recipients_total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: When the next batch of a sending campaign is due; a worker claims the campaign with
    #: :func:`~eventyay.base.services.outbox.claim_due` on this field, so one batch runs at a
    #: time and the rate holds however many tasks were queued for it.
    next_batch = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created", "-id")
        indexes = [
            models.Index(fields=["organizer", "status"], name="campaigns_campaign_status"),
            models.Index(fields=["organizer", "utm_campaign"], name="campaigns_campaign_utm"),
            models.Index(fields=["status", "send_at"], name="campaigns_campaign_due"),
        ]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One message to one recipient on one channel: the outbox row a worker claims and sends."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        #: Not sent: the address was suppressed or consent withdrawn after the list was frozen.
        SKIPPED = "skipped", _("skipped")
        CANCELED = "canceled", _("canceled")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="messages", db_index=False
    )
    #: Kept when the contact is erased (with ``recipient`` blanked) so a campaign's figures stay.
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(max_length=20, default="email")
    #: The address (or number) the message goes to, frozen with the recipient list.
    recipient = models.CharField(max_length=254)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    #: When the row is due for a (next) delivery attempt; ``None`` once it is settled.
    next_attempt = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    #: The provider's id of the sent message (ESP message id, SMS id), for status callbacks.
    provider_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    #: The automation step that wrote this message (automation messages have no campaign).
    automation_step = models.ForeignKey(
        "eventyay_campaigns.AutomationStep",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact", "channel"],
                condition=models.Q(campaign__isnull=False),
                name="campaigns_message_once_per_campaign",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="campaigns_message_campaign"),
            models.Index(
                fields=["next_attempt"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="campaigns_message_due",
            ),
            models.Index(fields=["channel", "provider_id"], name="campaigns_message_provider"),
            # Covers the sent counts per campaign and day of the analytics (an index-only scan).
            models.Index(fields=["campaign", "status", "sent_at"], name="campaigns_message_sent_day"),
            # The organizer's messages of the last minute, which its automation rate counts.
            models.Index(fields=["organizer", "sent_at"], name="campaigns_message_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk}"


class MessageEvent(models.Model):
    """A fact about a sent message: delivered, bounced, complained, unsubscribed, opened, clicked."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", _("delivered")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complained")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        OPENED = "opened", _("opened")
        CLICKED = "clicked", _("clicked")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events", db_index=False)
    #: The message's campaign, repeated here so a campaign's figures need no join.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    url = models.TextField(blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    #: A link scanner or mail security proxy rather than a person; left out of the figures.
    automated = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("created", "id")
        indexes = [
            models.Index(fields=["campaign", "kind", "message"], name="campaigns_msgevent_campaign"),
            models.Index(fields=["message", "kind"], name="campaigns_msgevent_message"),
            models.Index(fields=["organizer", "kind", "created"], name="campaigns_msgevent_created"),
            # The facts caused by people, in the order the analytics count each message's first
            # fact per kind (an index-only scan, no sort).
            models.Index(
                fields=["campaign", "kind", "message", "created"],
                condition=models.Q(automated=False),
                name="campaigns_msgevent_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class Suppression(models.Model):
    """An address that gets no more marketing messages on a channel, whatever its consent says."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        BOUNCED = "bounced", _("hard bounce")
        COMPLAINED = "complained", _("spam complaint")
        MANUAL = "manual", _("added by the organizer")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.CharField(max_length=20, default="email")
    address = models.CharField(max_length=254)
    address_key = models.GeneratedField(
        expression=Lower("address"), output_field=models.CharField(max_length=254), db_persist=True
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["organizer", "channel", "address_key"], name="campaigns_suppression_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.address}"


class Attribution(models.Model):
    """An order or registration, with the UTM values of the first and last visit that led to it."""

    class Kind(models.TextChoices):
        ORDER = "order", _("order")
        REGISTRATION = "registration", _("registration")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    #: What was attributed, e.g. the order code.
    reference = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=13, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True)
    first_utm_source = models.CharField(max_length=100, blank=True)
    first_utm_medium = models.CharField(max_length=100, blank=True)
    first_utm_campaign = models.CharField(max_length=100, blank=True)
    last_utm_source = models.CharField(max_length=100, blank=True)
    last_utm_medium = models.CharField(max_length=100, blank=True)
    last_utm_campaign = models.CharField(max_length=100, blank=True)
    #: All UTM values seen, as ``{"first": {...}, "last": {...}}`` (content and term included).
    touches = models.JSONField(default=dict, blank=True)
    #: The campaigns the first and last touch came from, where they match one.
    first_campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: False once the order is canceled: it stays in the history but counts no revenue.
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["organizer", "kind", "reference"], name="campaigns_attribution_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organizer", "first_utm_source", "first_utm_medium", "first_utm_campaign"],
                name="campaigns_attr_first_utm",
            ),
            models.Index(
                fields=["organizer", "last_utm_source", "last_utm_medium", "last_utm_campaign"],
                name="campaigns_attr_last_utm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class CampaignFigure(models.Model):
    """One figure of one campaign on one day (UTC): what the analytics read.

    Kept up to date in the transaction of the fact that changes it (a message marked sent, the
    first click of a message by a person, an attributed order, ...) by an upsert that adds to
    ``n`` and ``amount`` (:mod:`eventyay_campaigns.services.figures`), so a report reads a few
    rows per campaign and day instead of counting the messages and their facts. The rows can
    always be recounted from ``Message``, ``MessageEvent`` and ``Attribution``; the
    ``campaigns_figures_reconcile`` command does so and reports any drift.
    """

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="figures", db_index=False)
    day = models.DateField()
    #: A key of :data:`eventyay_campaigns.services.figures.KINDS`.
    kind = models.CharField(max_length=40)
    #: The currency of an amount (attributed revenue); empty for counts.
    currency = models.CharField(max_length=3, blank=True, default="")
    n = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=15, decimal_places=2, default=0)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("campaign", "day", "kind", "currency")
        constraints = [
            # The upsert's conflict target; also the index the reports read.
            models.UniqueConstraint(
                fields=["campaign", "day", "kind", "currency"], name="campaigns_figure_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day} {self.kind} {self.n}"
