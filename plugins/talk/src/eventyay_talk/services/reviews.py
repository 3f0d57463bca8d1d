"""Review phases, score categories, reviewer teams and the reviews themselves."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from i18nfield.strings import LazyI18nString

from eventyay.base.models import Event, Team, User
from eventyay.base.services.log import Actor, log_action
from eventyay_talk.models import (
    Review,
    ReviewerTeam,
    ReviewPhase,
    ReviewScore,
    ScoreCategory,
    Submission,
    Track,
)


def review_phase_activate(*, phase: ReviewPhase, actor: Actor = None) -> ReviewPhase:
    """Make ``phase`` the event's one active phase."""
    with transaction.atomic():
        ReviewPhase.objects.filter(event=phase.event, is_active=True).exclude(pk=phase.pk).update(
            is_active=False
        )
        phase.is_active = True
        phase.save(update_fields=["is_active"])
        log_action(
            action="eventyay_talk.review_phase.activated",
            organizer=phase.event.organizer,
            event=phase.event,
            obj=phase,
            actor=actor,
            data={"name": phase.name},
        )
    return phase


def score_category_save(
    *,
    event: Event,
    name: Any,
    weight: Decimal | int | str = 1,
    values: dict[Decimal | int | str, Any] | None = None,
    required: bool = False,
    category: ScoreCategory | None = None,
    actor: Actor = None,
) -> ScoreCategory:
    """Create or change a score category; ``values`` maps each score value to its label."""
    with transaction.atomic():
        category = category or ScoreCategory(event=event)
        category.name = LazyI18nString(name)
        category.weight = Decimal(str(weight))
        category.required = required
        category.save()
        if values is not None:
            wanted = {Decimal(str(value)): label for value, label in values.items()}
            category.scores.exclude(value__in=list(wanted)).delete()
            for value, label in wanted.items():
                ReviewScore.objects.update_or_create(
                    category=category, value=value, defaults={"label": LazyI18nString(label or "")}
                )
        log_action(
            action="eventyay_talk.score_category.saved",
            organizer=event.organizer,
            event=event,
            obj=category,
            actor=actor,
            data={"name": str(category.name), "weight": str(category.weight)},
        )
    return category


def reviewer_team_set(
    *, team: Team, is_reviewer: bool, tracks: Iterable[Track] = (), actor: Actor = None
) -> ReviewerTeam:
    """Flag a core team as reviewers, optionally only for some tracks."""
    with transaction.atomic():
        flag, _created = ReviewerTeam.objects.update_or_create(
            team=team, defaults={"is_reviewer": is_reviewer}
        )
        flag.limit_tracks.set(list(tracks))
        log_action(
            action="eventyay_talk.reviewer_team.changed",
            organizer=team.organizer,
            obj=team,
            actor=actor,
            data={"is_reviewer": is_reviewer, "tracks": [t.pk for t in flag.limit_tracks.all()]},
        )
    return flag


def review_save(
    *,
    submission: Submission,
    user: User,
    text: str = "",
    scores: Iterable[ReviewScore] = (),
    actor: Actor = None,
) -> Review:
    """Create or update ``user``'s review of ``submission`` and its weighted total score."""
    from eventyay_talk.selectors import active_review_phase, is_reviewer_for

    event = submission.event
    phase = active_review_phase(event)
    if phase is not None and not phase.can_review:
        raise ValidationError(_("Reviews cannot be written in the current review phase."))
    if submission.speakers.filter(pk=user.pk).exists():
        raise ValidationError(_("You cannot review your own proposal."))
    if not is_reviewer_for(user=user, submission=submission):
        raise ValidationError(_("You are not a reviewer of this proposal."))
    scores = list(scores)
    categories = {c.pk: c for c in ScoreCategory.objects.filter(event=event, active=True)}
    seen: set[int] = set()
    for score in scores:
        if score.category_id not in categories or score.category_id in seen:
            raise ValidationError({"scores": [_("Give at most one score per category of this event.")]})
        seen.add(score.category_id)
    missing = [str(c.name) for c in categories.values() if c.required and c.pk not in seen]
    if missing:
        raise ValidationError({"scores": [_("A score is required for: %s") % ", ".join(missing)]})
    total = sum((score.value * categories[score.category_id].weight for score in scores), Decimal(0))
    with transaction.atomic():
        review, created = Review.objects.update_or_create(
            submission=submission, user=user, defaults={"text": text, "score": total if scores else None}
        )
        review.scores.set(scores)
        log_action(
            action="eventyay_talk.review.created" if created else "eventyay_talk.review.changed",
            organizer=event.organizer,
            event=event,
            obj=review,
            actor=actor or user,
            data={"submission": submission.code, "score": str(review.score)},
        )
    return review
