from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager
from i18nfield.fields import I18nCharField


class ReviewPhase(models.Model):
    """A period of the review process; at most one per event is active."""

    class Visibility(models.TextChoices):
        ALL = "all", _("All proposals")
        ASSIGNED = "assigned", _("Only assigned proposals")

    class OtherReviews(models.TextChoices):
        ALWAYS = "always", _("Always")
        AFTER_REVIEW = "after_review", _("After submitting their own review")
        NEVER = "never", _("Never")

    event = models.ForeignKey(
        "eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_review_phases"
    )
    name = models.CharField(_("Name"), max_length=100)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    can_review = models.BooleanField(_("Reviewers can write reviews"), default=True)
    proposal_visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.ALL)
    can_see_other_reviews = models.CharField(
        max_length=16, choices=OtherReviews.choices, default=OtherReviews.AFTER_REVIEW
    )
    can_see_speaker_names = models.BooleanField(_("Reviewers see speaker names"), default=True)
    speakers_can_change_submissions = models.BooleanField(_("Speakers may edit proposals"), default=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("position", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=models.Q(is_active=True), name="talk_one_active_review_phase"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ScoreCategory(models.Model):
    event = models.ForeignKey(
        "eventyay_base.Event", on_delete=models.CASCADE, related_name="talk_score_categories"
    )
    name = I18nCharField(_("Name"), max_length=100)
    weight = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("1"))
    required = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    limit_tracks = models.ManyToManyField("eventyay_talk.Track", blank=True, related_name="score_categories")

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return str(self.name)


class ReviewScore(models.Model):
    """One labelled value of a score category, such as ``2 — good``."""

    category = models.ForeignKey(ScoreCategory, on_delete=models.CASCADE, related_name="scores")
    value = models.DecimalField(max_digits=7, decimal_places=2)
    label = I18nCharField(_("Label"), max_length=100, blank=True, null=True)

    objects = ScopedManager(organizer="category__event__organizer")

    class Meta:
        ordering = ("category", "value")
        unique_together = (("category", "value"),)

    def __str__(self) -> str:
        return f"{self.value} {self.label or ''}".strip()


class Review(models.Model):
    submission = models.ForeignKey(
        "eventyay_talk.Submission", on_delete=models.CASCADE, related_name="reviews"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talk_reviews")
    text = models.TextField(pgettext_lazy("noun", "Review"), blank=True)
    scores = models.ManyToManyField(ReviewScore, blank=True, related_name="reviews")
    #: Weighted sum of ``scores``, kept up to date by the review service for sorting.
    score = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="submission__event__organizer")

    class Meta:
        unique_together = (("submission", "user"),)
        ordering = ("-updated",)

    def __str__(self) -> str:
        return f"Review of {self.submission_id} by {self.user_id}"


class ReviewerTeam(models.Model):
    """Marks a core team as reviewers of an event's proposals, optionally only some tracks."""

    team = models.OneToOneField("eventyay_base.Team", on_delete=models.CASCADE, related_name="talk_reviewer")
    is_reviewer = models.BooleanField(default=True)
    limit_tracks = models.ManyToManyField("eventyay_talk.Track", blank=True, related_name="reviewer_teams")

    objects = ScopedManager(organizer="team__organizer")

    def __str__(self) -> str:
        return f"Reviewers: {self.team_id}"
