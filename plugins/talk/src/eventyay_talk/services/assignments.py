"""Assigning proposals to reviewers: by hand (per reviewer or per proposal) and balanced in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, log_action
from eventyay_talk.assignments import (
    Reviewer,
    assignment_pairs,
    event_reviewers,
    reviewed_submissions,
    speaker_pairs,
)
from eventyay_talk.models import Submission


def _check_pairs(
    event: Event,
    pairs: set[tuple[int, int]],
    reviewers: dict[int, Reviewer],
    submissions: dict[int, Submission],
) -> None:
    speakers = speaker_pairs(event)
    problems: list[str] = []
    for submission_id, user_id in sorted(pairs):
        if submission_id not in submissions:
            problems.append(_("Proposal %s is not reviewed at this event.") % submission_id)
        elif user_id not in reviewers:
            problems.append(_("User %s is not in a reviewer team of this event.") % user_id)
        elif not reviewers[user_id].may_review(submissions[submission_id].track_id):
            problems.append(
                _("%(reviewer)s does not review the track of “%(title)s”.")
                % {
                    "reviewer": reviewers[user_id].user.get_full_name(),
                    "title": submissions[submission_id].title,
                }
            )
        elif (submission_id, user_id) in speakers:
            problems.append(
                _("%(reviewer)s speaks on “%(title)s” and cannot review it.")
                % {
                    "reviewer": reviewers[user_id].user.get_full_name(),
                    "title": submissions[submission_id].title,
                }
            )
    if problems:
        raise ValidationError(problems)


def _write(
    event: Event, *, remove: set[tuple[int, int]], add: set[tuple[int, int]], actor: Actor, how: str
) -> None:
    through = Submission.assigned_reviewers.through
    with transaction.atomic():
        by_reviewer: dict[int, list[int]] = defaultdict(list)
        for submission_id, user_id in remove:
            by_reviewer[user_id].append(submission_id)
        # One delete per reviewer: there are few reviewers and many proposals.
        for user_id, submission_ids in by_reviewer.items():
            through.objects.filter(user_id=user_id, submission_id__in=submission_ids).delete()
        through.objects.bulk_create(
            [through(submission_id=submission_id, user_id=user_id) for submission_id, user_id in add]
        )
        log_action(
            action="eventyay_talk.review_assignments.changed",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"how": how, "added": len(add), "removed": len(remove)},
        )


def reviewer_assignments_replace(
    *,
    event: Event,
    pairs: Iterable[tuple[int, int]],
    submission_ids: Iterable[int] | None = None,
    reviewer_ids: Iterable[int] | None = None,
    actor: Actor = None,
) -> tuple[int, int]:
    """Make ``pairs`` (submission id, reviewer id) the assignments of the given proposals or reviewers.

    Assignments of proposals in ``submission_ids`` (or of reviewers in ``reviewer_ids``) that
    are not in ``pairs`` are removed; other assignments stay. Reviewers must belong to a
    reviewer team of the event that covers the proposal's track and must not speak on it.
    Returns (added, removed).
    """
    wanted = set(pairs)
    reviewers = event_reviewers(event)
    submissions_by_id = {submission.pk: submission for submission in reviewed_submissions(event)}
    _check_pairs(event, wanted, reviewers, submissions_by_id)
    existing = assignment_pairs(event)
    submissions = set(submission_ids) if submission_ids is not None else None
    people = set(reviewer_ids) if reviewer_ids is not None else None
    managed = {
        (s, u)
        for s, u in existing
        if (submissions is None or s in submissions) and (people is None or u in people)
    }
    remove = managed - wanted
    add = wanted - existing
    if remove or add:
        _write(event, remove=remove, add=add, actor=actor, how="by hand")
    return len(add), len(remove)


def reviewer_assignments_balance(
    *, event: Event, per_submission: int, replace: bool = False, actor: Actor = None
) -> int:
    """Give every reviewed proposal ``per_submission`` reviewers, spreading the load evenly.

    Proposals with the fewest possible reviewers are served first; each picks the eligible
    reviewers with the fewest assignments so far. With ``replace`` the current assignments are
    dropped first, otherwise they count towards the number and the load. Returns how many
    assignments were added (fewer than asked where a track has too few reviewers).
    """
    if per_submission < 1:
        raise ValidationError({"per_submission": [_("Assign at least one reviewer per proposal.")]})
    reviewers = event_reviewers(event)
    submissions = reviewed_submissions(event)
    speakers = speaker_pairs(event)
    existing = assignment_pairs(event)
    kept = set() if replace else existing
    load = dict.fromkeys(reviewers, 0)
    assigned: dict[int, set[int]] = {submission.pk: set() for submission in submissions}
    for submission_id, user_id in kept:
        if user_id in load and submission_id in assigned:
            load[user_id] += 1
            assigned[submission_id].add(user_id)
    eligible = {
        submission.pk: [
            user_id
            for user_id, reviewer in reviewers.items()
            if reviewer.may_review(submission.track_id) and (submission.pk, user_id) not in speakers
        ]
        for submission in submissions
    }
    added: set[tuple[int, int]] = set()
    for submission in sorted(submissions, key=lambda s: (len(eligible[s.pk]), s.pk)):
        chosen = assigned[submission.pk]
        free = [user_id for user_id in eligible[submission.pk] if user_id not in chosen]
        for user_id in sorted(free, key=lambda u: (load[u], u))[: max(per_submission - len(chosen), 0)]:
            load[user_id] += 1
            chosen.add(user_id)
            added.add((submission.pk, user_id))
    remove = existing - kept - added
    add = added - existing
    if add or remove:
        _write(event, remove=remove, add=add, actor=actor, how=f"balanced, {per_submission} each")
    return len(add)
