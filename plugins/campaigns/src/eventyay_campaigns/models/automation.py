"""Automation rules: a trigger, conditions on the contact, and steps that run after a delay.

A rule fires once per (rule, contact, occurrence): :class:`AutomationRun` is unique on those,
so a replayed notification finds the run already there and does nothing. Each of the rule's
actions becomes an :class:`AutomationStep` of the run, due at the trigger's time plus the
action's delay and claimed by workers like every outbox row
(:func:`eventyay.base.services.outbox.claim_due` on ``next_attempt``). A step that sends a
message writes a :class:`~eventyay_campaigns.models.Message` pointing back at it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event, Organizer
from eventyay_campaigns.models.contacts import Contact


class MessageTemplate(models.Model):
    """A message an automation step sends: a subject (email only) and a Markdown body."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="message_templates")
    name = models.CharField(_("Name"), max_length=200)
    #: Identifier of a message channel (``register_message_channels``): ``email``, ``sms``, ...
    channel = models.CharField(_("Channel"), max_length=20, default="email")
    subject = models.CharField(_("Subject"), max_length=300, blank=True)
    body = models.TextField(_("Body"), help_text=_("Markdown with {placeholders} such as {first_name}."))
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class AutomationRule(models.Model):
    class Trigger(models.TextChoices):
        CONTACT_CREATED = "contact_created", _("Contact created")
        CONTACT_TAGGED = "contact_tagged", _("Contact tagged")
        ORDER_PLACED = "order_placed", _("Registered or ordered")
        ORDER_PAID = "order_paid", _("Order paid")
        CHECKED_IN = "checked_in", _("Checked in")
        TALK_ACCEPTED = "talk_accepted", _("Talk accepted")
        LINK_CLICKED = "link_clicked", _("Campaign link clicked")
        EVENT_START = "event_start", _("Time before or after an event starts")
        INBOUND = "inbound_received", _("Data received by the inbound webhook")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="automation_rules")
    name = models.CharField(_("Name"), max_length=200)
    trigger = models.CharField(_("Trigger"), max_length=30, choices=Trigger.choices)
    #: For ``contact_tagged``: the tag (any tag when empty).
    tag = models.CharField(_("Tag"), max_length=100, blank=True)
    #: For event triggers: only this event (any of the organizer's events when empty).
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("Event")
    )
    #: For ``event_start``: minutes relative to the start (negative: before it). The contacts
    #: registered for the event at that moment are the ones the rule runs for.
    offset_minutes = models.IntegerField(_("Minutes relative to the start"), default=0)
    #: Contact filter parameters (those of the contacts API) the contact must match.
    conditions = models.JSONField(_("Conditions"), default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("name", "id")
        indexes = [models.Index(fields=["organizer", "trigger", "status"], name="campaigns_rule_trigger")]

    def __str__(self) -> str:
        return self.name


class AutomationAction(models.Model):
    """One step of a rule: what to do, how long after the trigger."""

    class Kind(models.TextChoices):
        SEND_MESSAGE = "send_message", _("Send a message")
        ADD_TAG = "add_tag", _("Add a tag")
        REMOVE_TAG = "remove_tag", _("Remove a tag")
        WEBHOOK = "webhook", _("Call a webhook")

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("Action"), max_length=20, choices=Kind.choices)
    delay_minutes = models.PositiveIntegerField(_("Delay after the trigger (minutes)"), default=0)
    template = models.ForeignKey(
        MessageTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("Message template"),
    )
    tag = models.CharField(_("Tag"), max_length=100, blank=True)
    webhook_url = models.URLField(_("Webhook URL"), max_length=500, blank=True)

    objects = ScopedManager(organizer="rule__organizer")

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return f"{self.rule_id} {self.kind}"


class AutomationRun(models.Model):
    """A rule fired for a contact: once per (rule, contact, occurrence)."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="automation_runs")
    trigger = models.CharField(max_length=30)
    #: What fired it, e.g. ``order:ABC12`` or ``event:7``; one run per rule, contact and occurrence.
    occurrence = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "contact", "occurrence"], name="campaigns_automation_run_once"
            ),
        ]
        indexes = [models.Index(fields=["contact", "created"], name="campaigns_run_contact")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.contact_id} {self.occurrence}"


class AutomationStep(models.Model):
    """An action of a run, due at a time: the outbox row the beat task claims and executes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        #: Not executed: the rule was paused, or the contact no longer matched.
        CANCELED = "canceled", _("canceled")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    run = models.ForeignKey(AutomationRun, on_delete=models.CASCADE, related_name="steps")
    action = models.ForeignKey(AutomationAction, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    #: When the step is due; claiming moves it to the end of the lease, ``None`` once settled.
    next_attempt = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    executed_at = models.DateTimeField(null=True, blank=True)
    #: What happened, shown on the contact's timeline (an error, the webhook's status).
    detail = models.TextField(blank=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("due_at", "id")
        indexes = [
            models.Index(
                fields=["next_attempt"],
                condition=models.Q(status="pending"),
                name="campaigns_step_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.action_id} {self.status}"
