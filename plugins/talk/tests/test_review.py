"""Reviews: who may review, weighted scores, blind phases and the dashboard's query count."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from eventyay_talk.models import ReviewPhase
from eventyay_talk.selectors import review_dashboard
from eventyay_talk.services.reviews import (
    review_phase_activate,
    review_save,
    reviewer_team_set,
    score_category_save,
)

from eventyay.base.services.teams import team_save


@pytest.fixture
def reviewer(organizer, talk_event, make_speaker, in_scope):
    person = make_speaker("reviewer@example.org", "Rita Reviewer")
    team = team_save(organizer=organizer, name="Reviewers", permissions=[], all_events=True)
    team.members.add(person)
    reviewer_team_set(team=team, is_reviewer=True)
    return person


def test_weighted_score_and_required_categories(talk_event, make_submission, reviewer) -> None:
    content = score_category_save(
        event=talk_event, name="Content", weight=2, values={0: "bad", 3: "good"}, required=True
    )
    style = score_category_save(event=talk_event, name="Style", values={0: "meh", 1: "nice"})
    submission = make_submission()
    with pytest.raises(ValidationError, match="required"):
        review_save(submission=submission, user=reviewer, scores=[style.scores.get(value=1)])
    review = review_save(
        submission=submission,
        user=reviewer,
        text="ok",
        scores=[content.scores.get(value=3), style.scores.get(value=1)],
    )
    assert review.score == 7


def test_speakers_cannot_review_their_own_proposal(talk_event, make_submission, reviewer) -> None:
    submission = make_submission(speaker=reviewer)
    with pytest.raises(ValidationError, match="own proposal"):
        review_save(submission=submission, user=reviewer)


def test_people_outside_reviewer_teams_cannot_review(talk_event, make_submission, make_speaker) -> None:
    with pytest.raises(ValidationError, match="not a reviewer"):
        review_save(submission=make_submission(), user=make_speaker("random@example.org"))


def test_assigned_only_phase_limits_what_reviewers_see(talk_event, make_submission, reviewer) -> None:
    from eventyay_talk.services.submissions import submission_reviewers_assign

    first, second = make_submission(title="First"), make_submission(title="Second")
    phase = ReviewPhase.objects.create(
        event=talk_event, name="Assigned", proposal_visibility="assigned", can_see_speaker_names=False
    )
    review_phase_activate(phase=phase)
    submission_reviewers_assign(submission=first, reviewers=[reviewer])
    rows = review_dashboard(talk_event, reviewer)
    assert [row.code for row in rows] == [first.code]
    assert rows[0].anonymised
    with pytest.raises(ValidationError):
        review_save(submission=second, user=reviewer)


def test_only_one_phase_is_active(talk_event, in_scope) -> None:
    first = ReviewPhase.objects.create(event=talk_event, name="One")
    second = ReviewPhase.objects.create(event=talk_event, name="Two")
    review_phase_activate(phase=first)
    review_phase_activate(phase=second)
    assert list(ReviewPhase.objects.filter(event=talk_event, is_active=True)) == [second]


def test_review_dashboard_queries_are_constant(
    talk_event, make_submission, reviewer, django_assert_max_num_queries
) -> None:
    category = score_category_save(event=talk_event, name="Fit", values={1: "a", 2: "b"})
    for index in range(3):
        review_save(
            submission=make_submission(title=f"S{index}"), user=reviewer, scores=[category.scores.first()]
        )
    with django_assert_max_num_queries(10) as few:
        review_dashboard(talk_event, reviewer)
    for index in range(15):
        make_submission(title=f"More {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = review_dashboard(talk_event, reviewer)
    assert len(rows) == 18
    assert rows[0].review_count == 1 and rows[0].user_review is not None
