"""Every talk control page: the right team gets it, other organizers 404, missing permission 403."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope, scopes_disabled
from i18nfield.strings import LazyI18nString

pytestmark = pytest.mark.django_db

BASE = "/control/event/example/conf/talk/"

READ = "event.submissions:read"
REVIEW = "event.reviews:write"
SCHEDULE = "event.schedule:write"

#: (path, the permission the page needs)
PAGES = [
    ("cfp/", READ),
    ("cfp/types/", READ),
    ("cfp/types/add/", READ),
    ("cfp/types/{type}/", READ),
    ("cfp/tracks/", READ),
    ("cfp/tracks/add/", READ),
    ("cfp/tracks/{track}/", READ),
    ("cfp/questions/", READ),
    ("cfp/questions/add/", READ),
    ("cfp/questions/{question}/", READ),
    ("cfp/access-codes/", READ),
    ("cfp/access-codes/add/", READ),
    ("cfp/access-codes/{code_pk}/", READ),
    ("mails/", READ),
    ("mails/submission.rejected/", READ),
    ("submissions/", READ),
    ("submissions/{code}/", READ),
    ("review/", REVIEW),
    ("review/{code}/", REVIEW),
    ("review/settings/", READ),
    ("review/assignments/", READ),
    ("review/phases/add/", READ),
    ("review/phases/{phase}/", READ),
    ("review/categories/add/", READ),
    ("review/categories/{category}/", READ),
    ("rooms/", SCHEDULE),
    ("rooms/add/", SCHEDULE),
    ("rooms/{room}/", SCHEDULE),
    ("rooms/{room}/availability/", SCHEDULE),
    ("schedule/", SCHEDULE),
    ("schedule/release/", SCHEDULE),
]


def member_with(organizer: Any, email: str, permissions: list[str]) -> Any:
    """A member of ``organizer`` seeing every event with exactly ``permissions``."""
    from eventyay.base.models import User
    from eventyay.base.services.teams import team_member_add, team_save

    member = User.objects.create_user(email, "a long enough password")
    with scopes_disabled():
        team = team_save(organizer=organizer, name=email, permissions=permissions, all_events=True)
        team_member_add(team=team, user=member)
    return member


@pytest.fixture
def objects(talk_event: Any, talk_type: Any, make_submission: Any, rooms: list[Any]) -> dict[str, Any]:
    from eventyay_talk.models import Question, ReviewPhase, Track
    from eventyay_talk.services.cfp import access_code_save
    from eventyay_talk.services.reviews import score_category_save

    with scope(organizer=talk_event.organizer):
        track = Track.objects.create(event=talk_event, name=LazyI18nString({"en": "Web"}))
        question = Question.objects.create(event=talk_event, question=LazyI18nString({"en": "Why?"}))
        code = access_code_save(event=talk_event, data={"code": "late-entry"})
        phase = ReviewPhase.objects.create(event=talk_event, name="Review", is_active=True)
        category = score_category_save(event=talk_event, name={"en": "Quality"}, values={1: "bad", 2: "good"})
        submission = make_submission(title="Accessible talk", state="accepted")
    return {
        "type": talk_type.pk,
        "track": track.pk,
        "question": question.pk,
        "code_pk": code.pk,
        "phase": phase.pk,
        "category": category.pk,
        "room": rooms[0].pk,
        "code": submission.code,
    }


@pytest.mark.parametrize(("path", "permission"), PAGES)
def test_page_access(client, client_for, user, organizer, other_organizer, objects, path, permission):
    url = BASE + path.format(**objects)
    assert client_for(user).get(url).status_code == 200
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert client_for(other_organizer.member).get(url).status_code == 404
    lacking = member_with(organizer, "lacking@example.org", ["event.settings:read"])
    assert client_for(lacking).get(url).status_code == 403
    holder = member_with(organizer, "holder@example.org", [permission])
    assert client_for(holder).get(url).status_code == 200


def test_reading_does_not_allow_writing(client_for, organizer, objects):
    reader = member_with(organizer, "reader@example.org", [READ])
    client = client_for(reader)
    assert client.post(BASE + "cfp/tracks/add/", {"name_0": "Nope"}).status_code == 403
    assert (
        client.post(BASE + f"submissions/{objects['code']}/state/", {"state": "confirmed"}).status_code == 403
    )
    assert client.post(BASE + "submissions/decisions/").status_code == 403


def test_navigation_lists_only_pages_the_user_may_open(client_for, user, organizer, objects):
    full = client_for(user).get(BASE + "submissions/").content.decode()
    assert BASE + "schedule/" in full and BASE + "review/" in full and BASE + "cfp/" in full
    reader = member_with(organizer, "reader@example.org", [READ])
    limited = client_for(reader).get(BASE + "submissions/").content.decode()
    assert BASE + "cfp/" in limited and BASE + "schedule/" not in limited
