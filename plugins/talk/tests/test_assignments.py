"""Reviewer assignments: the service rules, the balanced bulk flow, the page and what reviewers see."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled
from eventyay_talk.assignments import assignment_pairs
from eventyay_talk.models import ReviewPhase, Track
from eventyay_talk.selectors import review_dashboard
from eventyay_talk.services.assignments import reviewer_assignments_balance, reviewer_assignments_replace
from eventyay_talk.services.reviews import review_phase_activate, review_save, reviewer_team_set
from i18nfield.strings import LazyI18nString
from rest_framework.test import APIClient

from eventyay.base.services.teams import team_save

from .test_control_access import BASE, member_with

PAGE = BASE + "review/assignments/"
API = "/api/v1/organizers/example/events/conf/reviews/"


@pytest.fixture
def tracks(talk_event: Any, in_scope: None) -> dict[str, Any]:
    return {
        name: Track.objects.create(event=talk_event, name=LazyI18nString({"en": name}))
        for name in ("Web", "Kernel")
    }


@pytest.fixture
def make_reviewer(organizer: Any, make_speaker: Any, in_scope: None) -> Any:
    def factory(email: str, tracks: list[Any] = (), all_events: bool = True) -> Any:  # type: ignore[assignment]
        person = make_speaker(email, email.split("@")[0].title())
        team = team_save(
            organizer=organizer, name=f"Reviewers {email}", permissions=[], all_events=all_events
        )
        team.members.add(person)
        reviewer_team_set(team=team, is_reviewer=True, tracks=tracks)
        return person

    return factory


def test_reviewers_are_only_assigned_proposals_in_their_tracks(
    talk_event, tracks, make_reviewer, make_submission
) -> None:
    web_only = make_reviewer("web@example.org", [tracks["Web"]])
    kernel_talk = make_submission(title="Scheduler", track=tracks["Kernel"])
    with pytest.raises(ValidationError, match="does not review the track"):
        reviewer_assignments_replace(event=talk_event, pairs={(kernel_talk.pk, web_only.pk)})
    assert not kernel_talk.assigned_reviewers.exists()


def test_speakers_are_never_assigned_their_own_proposal(talk_event, make_reviewer, make_submission) -> None:
    reviewer = make_reviewer("rev@example.org")
    own = make_submission(title="Mine", speaker=reviewer)
    with pytest.raises(ValidationError, match="speaks on"):
        reviewer_assignments_replace(event=talk_event, pairs={(own.pk, reviewer.pk)})
    assert reviewer_assignments_balance(event=talk_event, per_submission=1) == 0


def test_replacing_by_reviewer_keeps_the_other_reviewers_assignments(
    talk_event, make_reviewer, make_submission
) -> None:
    first, second = make_reviewer("a@example.org"), make_reviewer("b@example.org")
    one, two = make_submission(title="One"), make_submission(title="Two")
    reviewer_assignments_replace(event=talk_event, pairs={(one.pk, first.pk), (one.pk, second.pk)})
    added, removed = reviewer_assignments_replace(
        event=talk_event, pairs={(two.pk, first.pk)}, reviewer_ids=[first.pk]
    )
    assert (added, removed) == (1, 1)
    assert assignment_pairs(talk_event) == {(two.pk, first.pk), (one.pk, second.pk)}


def test_balanced_assignment_spreads_the_load_and_respects_tracks(
    talk_event, tracks, make_reviewer, make_submission
) -> None:
    everyone = [make_reviewer(f"all{n}@example.org") for n in range(3)]
    kernel_only = make_reviewer("kernel@example.org", [tracks["Kernel"]])
    proposals = [make_submission(title=f"P{n}", track=tracks["Kernel" if n % 2 else "Web"]) for n in range(8)]
    added = reviewer_assignments_balance(event=talk_event, per_submission=2)
    assert added == 16
    pairs = assignment_pairs(talk_event)
    per_submission = {p.pk: {u for s, u in pairs if s == p.pk} for p in proposals}
    assert all(len(reviewers) == 2 for reviewers in per_submission.values())
    web = {p.pk for p in proposals if p.track == tracks["Web"]}
    assert not any(s in web and u == kernel_only.pk for s, u in pairs)
    loads = [sum(1 for _s, u in pairs if u == person.pk) for person in [*everyone, kernel_only]]
    assert max(loads) - min(loads) <= 1, loads
    # Running it again adds nothing; replacing starts over with the same number.
    assert reviewer_assignments_balance(event=talk_event, per_submission=2) == 0
    assert reviewer_assignments_balance(event=talk_event, per_submission=1, replace=True) >= 0
    assert len(assignment_pairs(talk_event)) == 8


def test_assigned_only_phase_holds_on_the_dashboard_and_the_api(
    talk_event, make_reviewer, make_submission
) -> None:
    reviewer = make_reviewer("rev@example.org")
    colleague = make_reviewer("colleague@example.org")
    mine, other = make_submission(title="Mine"), make_submission(title="Not mine")
    review_save(submission=other, user=colleague, text="Colleague's view")
    phase = ReviewPhase.objects.create(
        event=talk_event, name="Assigned", proposal_visibility="assigned", can_see_other_reviews="always"
    )
    review_phase_activate(phase=phase)
    reviewer_assignments_replace(event=talk_event, pairs={(mine.pk, reviewer.pk)})
    assert [row.code for row in review_dashboard(talk_event, reviewer)] == [mine.code]
    client = APIClient()
    client.force_login(reviewer)
    assert client.get(API).json()["count"] == 0
    created = client.post(API, {"submission": mine.code, "text": "Fine"}, format="json")
    assert created.status_code == 201, created.content
    refused = client.post(API, {"submission": other.code, "text": "Sneaky"}, format="json")
    assert refused.status_code == 400 and "not a reviewer" in refused.content.decode()
    listed = client.get(API).json()
    assert [item["submission"] for item in listed["results"]] == [mine.code]
    assert client.get(BASE + f"review/{mine.code}/").status_code == 200
    assert client.get(BASE + f"review/{other.code}/").status_code == 403
    dashboard = client.get(BASE + "review/").content.decode()
    assert "Mine" in dashboard and "Not mine" not in dashboard


def test_people_outside_reviewer_teams_get_no_reviews_from_the_api(client_for, organizer, talk_event) -> None:
    member = member_with(organizer, "settings@example.org", ["event.settings:read"])
    client = APIClient()
    client.force_login(member)
    assert client.get(API).status_code == 403
    assert client.post(API, {"submission": "X", "text": "no"}, format="json").status_code == 403


def test_assignment_page_by_reviewer_and_by_proposal(
    client_for, user, talk_event, tracks, make_reviewer, make_submission
) -> None:
    reviewer = make_reviewer("rev@example.org", [tracks["Web"]])
    web = make_submission(title="Web things", track=tracks["Web"])
    kernel = make_submission(title="Kernel things", track=tracks["Kernel"])
    client = client_for(user)
    page = client.get(PAGE).content.decode()
    assert "Web things" in page and "Kernel things" not in page.split("By reviewer")[-1].split("</table>")[0]
    response = client.post(
        PAGE + "?by=reviewer", {"reviewers": [reviewer.pk], f"reviewer-{reviewer.pk}": [web.pk]}
    )
    assert response.status_code == 302
    with scope(organizer=talk_event.organizer):
        assert assignment_pairs(talk_event) == {(web.pk, reviewer.pk)}
    refused = client.post(
        PAGE + "?by=proposal", {"submissions": [kernel.pk], f"submission-{kernel.pk}": [reviewer.pk]}
    )
    assert refused.status_code == 400 and "does not review the track" in refused.content.decode()
    cleared = client.post(PAGE + "?by=proposal", {"submissions": [web.pk, kernel.pk]})
    assert cleared.status_code == 302
    balanced = client.post(PAGE, {"action": "balance", "per_submission": "1"})
    assert balanced.status_code == 302
    with scope(organizer=talk_event.organizer):
        assert assignment_pairs(talk_event) == {(web.pk, reviewer.pk)}
    bad = client.post(PAGE, {"action": "balance", "per_submission": "0"})
    assert bad.status_code == 400


def test_assignment_page_permissions(client, client_for, organizer, other_organizer, talk_event) -> None:
    assert client.get(PAGE).status_code == 302
    assert client_for(other_organizer.member).get(PAGE).status_code == 404
    assert client_for(other_organizer.member).post(PAGE, {"action": "balance"}).status_code == 404
    reader = member_with(organizer, "reader@example.org", ["event.submissions:read"])
    assert client_for(reader).get(PAGE).status_code == 200
    assert client_for(reader).post(PAGE, {"action": "balance", "per_submission": "1"}).status_code == 403


def test_assignment_page_queries_do_not_grow_with_proposals(
    client_for, user, talk_event, make_reviewer, make_submission, django_assert_max_num_queries
) -> None:
    for n in range(3):
        make_reviewer(f"r{n}@example.org")
    make_submission(title="First")
    client = client_for(user)
    client.get(PAGE)
    with django_assert_max_num_queries(40) as few:
        assert client.get(PAGE).status_code == 200
    # Read now: the connection keeps a bounded log, which the setup below may roll over.
    limit = len(few.captured_queries)
    for n in range(20):
        make_submission(title=f"More {n}", speaker=None)
    reviewer_assignments_balance(event=talk_event, per_submission=2)
    # The first request after a change reads the event anew (the tenant cache keys on the
    # content version); compare requests in the steady state.
    client.get(PAGE)
    for by in ("reviewer", "proposal"):
        with django_assert_max_num_queries(limit):
            assert client.get(PAGE + f"?by={by}").status_code == 200


def test_reviewer_only_member_sees_reviews_in_the_nav_and_nothing_else(
    client_for, organizer, other_organizer, talk_event, make_reviewer, make_submission
) -> None:
    reviewer = make_reviewer("rev@example.org")
    make_submission(title="To review")
    client = client_for(reviewer)
    index = client.get("/control/event/example/conf/").content.decode()
    assert BASE + "review/" in index
    for hidden in ("submissions/", "cfp/", "schedule/", "review/settings/", "review/assignments/"):
        assert BASE + hidden not in index
        assert client.get(BASE + hidden).status_code == 403
    dashboard = client.get(BASE + "review/")
    assert dashboard.status_code == 200 and "To review" in dashboard.content.decode()
    assert client_for(other_organizer.member).get(BASE + "review/").status_code == 404


def test_reviewer_team_for_other_events_gets_no_reviews_entry(
    client_for, organizer, talk_event, make_reviewer
) -> None:
    from eventyay.base.services.events import event_create

    with scopes_disabled():
        elsewhere = event_create(
            organizer=organizer,
            data={"name": {"en": "Other"}, "slug": "other", "date_from": talk_event.date_from},
            plugins=["talk"],
            is_admin=True,
        )
        reviewer = make_reviewer("elsewhere@example.org", all_events=False)
        organizer.teams.get(name="Reviewers elsewhere@example.org").limit_events.add(elsewhere)
    client = client_for(reviewer)
    assert client.get(BASE + "review/").status_code == 404
    other_index = client.get("/control/event/example/other/").content.decode()
    assert "/control/event/example/other/talk/review/" in other_index
