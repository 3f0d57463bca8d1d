from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from i18nfield.fields import I18nCharField, I18nTextField

from eventyay.base.storage import UnguessableName, get_private_storage

#: The fields of the CfP form an organizer can ask for, and their built-in defaults.
CFP_FIELDS: dict[str, dict[str, Any]] = {
    "title": {"visibility": "required", "min_length": None, "max_length": 200},
    "abstract": {"visibility": "required", "min_length": None, "max_length": 1000},
    "description": {"visibility": "optional", "min_length": None, "max_length": None},
    "notes": {"visibility": "optional", "min_length": None, "max_length": None},
    "duration": {"visibility": "do_not_ask", "min_length": None, "max_length": None},
    "track": {"visibility": "optional", "min_length": None, "max_length": None},
    "content_locale": {"visibility": "optional", "min_length": None, "max_length": None},
    "image": {"visibility": "optional", "min_length": None, "max_length": None},
    "additional_speaker": {"visibility": "optional", "min_length": None, "max_length": None},
    "availabilities": {"visibility": "optional", "min_length": None, "max_length": None},
    "biography": {"visibility": "required", "min_length": None, "max_length": 2000},
    "avatar": {"visibility": "optional", "min_length": None, "max_length": None},
}
VISIBILITIES = ("required", "optional", "do_not_ask")


class CfP(models.Model):
    """The call for papers of one event: its texts, dates and which fields the form asks."""

    event = models.OneToOneField("eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_cfp")
    headline = I18nCharField(_("Headline"), max_length=300, blank=True, null=True)
    text = I18nTextField(_("Text"), blank=True, null=True)
    opening = models.DateTimeField(_("Opens"), null=True, blank=True)
    deadline = models.DateTimeField(_("Deadline"), null=True, blank=True)
    #: ``{field: {"visibility": required|optional|do_not_ask, "min_length": n, "max_length": n}}``;
    #: missing entries fall back to :data:`CFP_FIELDS`.
    fields = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    def __str__(self) -> str:
        return f"CfP of {self.event_id}"

    def field_config(self, name: str) -> dict[str, Any]:
        return {**CFP_FIELDS[name], **(self.fields or {}).get(name, {})}

    def asks(self, name: str) -> bool:
        return self.field_config(name)["visibility"] != "do_not_ask"

    def requires(self, name: str) -> bool:
        return self.field_config(name)["visibility"] == "required"

    def has_opened(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.opening is None or self.opening <= now

    def max_deadline(self) -> Any:
        """The latest deadline of the CfP or any submission type (types may extend it)."""
        if self.deadline is None:
            return None
        type_deadlines = [t.deadline for t in self.event.talk_submission_types.all() if t.deadline]
        return max([self.deadline, *type_deadlines])


class SubmissionType(models.Model):
    event = models.ForeignKey(
        "eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_submission_types"
    )
    name = I18nCharField(_("Name"), max_length=100)
    default_duration = models.PositiveIntegerField(_("Default duration (minutes)"), default=30)
    deadline = models.DateTimeField(
        _("Own deadline"), null=True, blank=True, help_text=_("May extend the CfP for this type.")
    )

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("default_duration", "pk")

    def __str__(self) -> str:
        return str(self.name)


class Track(models.Model):
    event = models.ForeignKey("eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_tracks")
    name = I18nCharField(_("Name"), max_length=100)
    color = models.CharField(_("Colour"), max_length=7, default="#3b7a57")
    description = I18nTextField(_("Description"), blank=True, null=True)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return str(self.name)


class Question(models.Model):
    """An organizer's own question on the CfP (or the review form)."""

    class Variant(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        FILE = "file", _("File")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes/no")

    class Target(models.TextChoices):
        SUBMISSION = "submission", _("per proposal")
        SPEAKER = "speaker", _("per speaker")
        REVIEWER = "reviewer", _("for reviewers")

    event = models.ForeignKey("eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_questions")
    question = I18nCharField(_("Question"), max_length=800)
    help_text = I18nTextField(_("Help text"), blank=True, null=True)
    variant = models.CharField(max_length=20, choices=Variant.choices, default=Variant.TEXT)
    target = models.CharField(max_length=20, choices=Target.choices, default=Target.SUBMISSION)
    required = models.BooleanField(_("Required"), default=False)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return str(self.question)


class QuestionOption(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    answer = I18nCharField(_("Option"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="question__event__organizer")

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return str(self.answer)


class Answer(models.Model):
    """The answer to a question, for a submission, a speaker or a review."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    submission = models.ForeignKey(
        "eventyay_talk.Submission", on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="talk_answers"
    )
    review = models.ForeignKey(
        "eventyay_talk.Review", on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    answer = models.TextField(blank=True)
    #: The file of a file question, private to the speaker, the organizers and the proposal's
    #: reviewers; its original name is kept in ``answer``.
    answer_file = models.FileField(
        storage=get_private_storage, upload_to=UnguessableName("talk/answers"), null=True, blank=True
    )
    options = models.ManyToManyField(QuestionOption, blank=True, related_name="answers")

    objects = ScopedManager(organizer="question__event__organizer")

    def __str__(self) -> str:
        return self.answer[:50]


def generate_access_code() -> str:
    return secrets.token_urlsafe(9)


class AccessCode(models.Model):
    """Opens the CfP (past its deadline) for some submission types or tracks, a number of times."""

    event = models.ForeignKey(
        "eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_access_codes"
    )
    code = models.CharField(_("Code"), max_length=64, default=generate_access_code)
    submission_types = models.ManyToManyField(SubmissionType, blank=True, related_name="access_codes")
    # Annotated: the type checker's Django plugin cannot infer this second relation of the model.
    tracks: models.ManyToManyField[Track, Any] = models.ManyToManyField(
        Track, blank=True, related_name="access_codes"
    )
    valid_until = models.DateTimeField(_("Valid until"), null=True, blank=True)
    maximum_uses = models.PositiveIntegerField(_("Maximum uses"), null=True, blank=True, default=1)
    redeemed = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("event", "code"),)

    def __str__(self) -> str:
        return self.code

    def is_valid(self, now: Any = None) -> bool:
        now = now or timezone.now()
        if self.valid_until and self.valid_until < now:
            return False
        return self.maximum_uses is None or self.redeemed < self.maximum_uses


class MailTemplate(models.Model):
    """An organizer-editable mail of the talk plugin (``{placeholder}`` syntax)."""

    class Role(models.TextChoices):
        RECEIVED = "submission.received", _("Proposal received")
        ACCEPTED = "submission.accepted", _("Proposal accepted")
        REJECTED = "submission.rejected", _("Proposal rejected")
        INVITATION = "speaker.invitation", _("Co-speaker invitation")
        SCHEDULE_UPDATE = "schedule.update", _("Your talks in a new schedule version")

    event = models.ForeignKey(
        "eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_mail_templates"
    )
    role = models.CharField(max_length=40, choices=Role.choices)
    subject = I18nCharField(_("Subject"), max_length=200)
    text = I18nTextField(_("Text"))

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("event", "role"),)

    def __str__(self) -> str:
        return self.role
