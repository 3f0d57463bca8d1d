"""Reads for assigning proposals to reviewers: who reviews which tracks, who is assigned where.

Kept apart from :mod:`eventyay_talk.selectors`: the assignment page and its service are the
only users, and each read here is one query whatever the number of proposals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from eventyay.base.models import Event, Team, User
from eventyay_talk.models import Submission, SubmissionStates

#: Proposals that take part in the review (drafts and withdrawn ones do not).
REVIEWED_EXCLUDED = (SubmissionStates.DRAFT, SubmissionStates.WITHDRAWN)


@dataclass
class Reviewer:
    """A member of one of the event's reviewer teams; ``tracks`` None means every track."""

    user: User
    tracks: set[int] | None
    assigned: set[int] = field(default_factory=set)

    def may_review(self, track_id: int | None) -> bool:
        return self.tracks is None or track_id in self.tracks


def event_reviewers(event: Event) -> dict[int, Reviewer]:
    """Reviewers of ``event`` by user id (teams flagged as reviewers that see the event)."""
    teams = (
        Team.objects.filter(organizer=event.organizer, talk_reviewer__is_reviewer=True)
        .filter(Q(all_events=True) | Q(limit_events=event))
        .distinct()
        .select_related("talk_reviewer")
        .prefetch_related("members", "talk_reviewer__limit_tracks")
    )
    reviewers: dict[int, Reviewer] = {}
    for team in teams:
        limit = {track.pk for track in team.talk_reviewer.limit_tracks.all()}
        for user in team.members.all():
            known = reviewers.get(user.pk)
            if known is None:
                reviewers[user.pk] = Reviewer(user=user, tracks=set(limit) if limit else None)
            elif known.tracks is not None:
                known.tracks = known.tracks | limit if limit else None
    return dict(sorted(reviewers.items(), key=lambda item: (item[1].user.get_full_name().lower(), item[0])))


def assignment_pairs(event: Event) -> set[tuple[int, int]]:
    """Every ``(submission id, reviewer user id)`` assignment of the event."""
    through = Submission.assigned_reviewers.through
    return set(through.objects.filter(submission__event=event).values_list("submission_id", "user_id"))


def speaker_pairs(event: Event) -> set[tuple[int, int]]:
    """Every ``(submission id, speaker user id)``: nobody is assigned their own proposal."""
    through = Submission.speakers.through
    return set(through.objects.filter(submission__event=event).values_list("submission_id", "user_id"))


def reviewed_submissions(event: Event) -> list[Submission]:
    return list(
        Submission.objects.filter(event=event)
        .exclude(state__in=REVIEWED_EXCLUDED)
        .select_related("track")
        .only("pk", "code", "title", "state", "track__name", "track__color", "event_id")
        .order_by("title", "pk")
    )


def assignment_overview(event: Event) -> dict[str, Any]:
    """Reviewers, proposals and the assignments between them, for the assignment page.

    Each proposal gets ``assigned`` (reviewer ids) and ``candidates`` (reviewers who may be
    assigned: their teams cover its track and they do not speak on it); each reviewer gets
    ``assigned`` (proposal ids) and ``candidates`` (proposals).
    """
    reviewers = event_reviewers(event)
    submissions = reviewed_submissions(event)
    pairs = assignment_pairs(event)
    speakers = speaker_pairs(event)
    by_submission: dict[int, set[int]] = defaultdict(set)
    for submission_id, user_id in pairs:
        by_submission[submission_id].add(user_id)
        if user_id in reviewers:
            reviewers[user_id].assigned.add(submission_id)
    candidates_of_reviewer: dict[int, list[Submission]] = defaultdict(list)
    for submission in submissions:
        submission.assigned = by_submission.get(submission.pk, set())  # type: ignore[attr-defined]
        candidates = [
            reviewer
            for reviewer in reviewers.values()
            if reviewer.may_review(submission.track_id) and (submission.pk, reviewer.user.pk) not in speakers
        ]
        submission.candidates = candidates  # type: ignore[attr-defined]
        for reviewer in candidates:
            candidates_of_reviewer[reviewer.user.pk].append(submission)
    rows = [
        {"reviewer": reviewer, "candidates": candidates_of_reviewer.get(user_id, [])}
        for user_id, reviewer in reviewers.items()
    ]
    return {"reviewers": rows, "submissions": submissions}
