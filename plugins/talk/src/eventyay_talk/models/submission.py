from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.storage import UnguessableName
from eventyay_talk.models.codes import generate_code

if TYPE_CHECKING:
    from eventyay.base.models import Event, User

#: Namespace of the stable talk guids: ``uuid5(TALK_GUID_NAMESPACE, "<organizer>/<event>/<code>")``.
TALK_GUID_NAMESPACE = uuid.UUID("0b4c6f3e-5a53-4b8e-9d6e-7e5a1d2c9f10")


class SubmissionStates(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")
    CANCELED = "canceled", _("canceled")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SpeakerProfile(models.Model):
    """What a speaker tells one event about themselves."""

    event = models.ForeignKey("eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_speakers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talk_profiles")
    #: Public identifier used in ``/speaker/<code>/``; the user's id is never shown.
    code = models.CharField(max_length=16, default=generate_code, db_index=True)
    name = models.CharField(_("Name shown publicly"), max_length=255, blank=True)
    biography = models.TextField(_("Biography"), blank=True)
    #: Shown on the public speaker pages, so it stays in the public storage, under a random name.
    avatar = models.FileField(
        _("Profile picture"), upload_to=UnguessableName("talk/avatars"), null=True, blank=True
    )
    #: ``[{"start": iso datetime, "end": iso datetime}, ...]``; empty means "always".
    availabilities = models.JSONField(default=list, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("event", "user"), ("event", "code"))

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.user.get_full_name()


class Submission(models.Model):
    """A proposal. Its ``code`` never changes and is its public identifier everywhere."""

    event = models.ForeignKey(
        "eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_submissions"
    )
    code = models.CharField(max_length=16, default=generate_code)
    title = models.CharField(_("Title"), max_length=300)
    abstract = models.TextField(_("Abstract"), blank=True)
    description = models.TextField(_("Description"), blank=True)
    notes = models.TextField(_("Notes for the organizers"), blank=True)
    internal_notes = models.TextField(_("Internal notes"), blank=True)
    duration = models.PositiveIntegerField(_("Duration (minutes)"), null=True, blank=True)
    track = models.ForeignKey(
        "eventyay_talk.Track", on_delete=models.PROTECT, null=True, blank=True, related_name="submissions"
    )
    submission_type = models.ForeignKey(
        "eventyay_talk.SubmissionType", on_delete=models.PROTECT, related_name="submissions"
    )
    content_locale = models.CharField(_("Language"), max_length=16, default="en")
    #: Shown on the public talk page, so it stays in the public storage, under a random name.
    image = models.FileField(_("Image"), upload_to=UnguessableName("talk/images"), null=True, blank=True)
    state = models.CharField(
        max_length=20, choices=SubmissionStates.choices, default=SubmissionStates.DRAFT, db_index=True
    )
    #: A queued decision an organizer applies later in bulk (empty: none).
    pending_state = models.CharField(max_length=20, choices=SubmissionStates.choices, blank=True)
    speakers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="talk_submissions", blank=True)
    # Annotated: the type checker's Django plugin cannot infer a second relation to the user model here.
    assigned_reviewers: models.ManyToManyField[User, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="talk_review_assignments", blank=True
    )
    access_code = models.ForeignKey(
        "eventyay_talk.AccessCode",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("event", "code"),)
        ordering = ("title", "pk")

    def __str__(self) -> str:
        return self.title

    @property
    def export_duration(self) -> int:
        """Minutes: the submission's own duration, else its type's default."""
        return self.duration or self.submission_type.default_duration

    @property
    def guid(self) -> uuid.UUID:
        return talk_guid(self.event, self.code)


def talk_guid(event: Event, code: str) -> uuid.UUID:
    """Stable across releases and installations: derived from organizer, event and code."""
    return uuid.uuid5(TALK_GUID_NAMESPACE, f"{event.organizer.slug}/{event.slug}/{code}")


def generate_invitation_token() -> str:
    return secrets.token_urlsafe(24)


class SubmissionInvitation(models.Model):
    """An invitation to become a co-speaker; accepted through a secret link."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=generate_invitation_token)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="submission__event__organizer")

    class Meta:
        unique_together = (("submission", "email"),)

    def __str__(self) -> str:
        return f"{self.email} → {self.submission_id}"
