"""Demo content for ``python -m eventyay demo``: an open CfP, proposals in every state,
reviews and a released schedule. Idempotent: a second run finds what the first made."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from i18nfield.strings import LazyI18nString

from eventyay.base.models import Event, Team, User
from eventyay_talk.models import (
    Review,
    Schedule,
    Submission,
    SubmissionType,
    TalkSlot,
    Track,
)
from eventyay_talk.services.cfp import cfp_update
from eventyay_talk.services.reviews import review_save, reviewer_team_set, score_category_save
from eventyay_talk.services.schedule import (
    break_create,
    room_save,
    schedule_release,
    slot_schedule,
    wip_schedule,
)
from eventyay_talk.services.submissions import submission_create, submission_state_change

TALKS = [
    ("Schedules that apps can read", "confirmed"),
    ("Ünïcödé in conference titles", "confirmed"),
    ("Running a CfP without tears", "confirmed"),
    ("Accessible event websites", "confirmed"),
    ("Keynote: the next ten years", "accepted"),
    ("A talk still under review", "submitted"),
    ("An idea that did not fit", "rejected"),
    ("A speaker who changed plans", "withdrawn"),
    ("A talk that had to be canceled", "canceled"),
    ("Half-written proposal", "draft"),
]
PATHS = {
    "submitted": [],
    "draft": None,
    "accepted": ["accepted"],
    "confirmed": ["accepted", "confirmed"],
    "rejected": ["rejected"],
    "withdrawn": ["withdrawn"],
    "canceled": ["accepted", "canceled"],
}


def demo_talk_data(*, event: Event) -> None:
    if Submission.objects.filter(event=event).exists():
        return
    now = timezone.now()
    with transaction.atomic():
        cfp_update(
            event=event,
            data={
                "headline": {"en": "Speak at DemoCon", "de": "Sprich auf der DemoCon"},
                "text": {"en": "We look forward to your proposals about events, software and people."},
                "opening": now - dt.timedelta(days=7),
                "deadline": max(now + dt.timedelta(days=14), event.date_from - dt.timedelta(days=7)),
            },
        )
        talk = SubmissionType.objects.create(
            event=event, name=LazyI18nString({"en": "Talk"}), default_duration=30
        )
        SubmissionType.objects.create(
            event=event, name=LazyI18nString({"en": "Workshop"}), default_duration=90
        )
        tracks = [
            Track.objects.create(event=event, name=LazyI18nString({"en": name}), color=color)
            for name, color in (("Software", "#1f77b4"), ("Community", "#2ca02c"))
        ]
        rooms = [
            room_save(event=event, data={"name": {"en": name}, "capacity": cap})
            for name, cap in (("Main hall", 400), ("Workshop room", 40))
        ]
        category = score_category_save(
            event=event, name={"en": "Relevance"}, values={0: "poor", 1: "fine", 2: "great"}
        )
        speakers = []
        for index in range(6):
            email = f"speaker{index}@demo.eventyay.invalid"
            user = User.objects.filter(email=email).first() or User.objects.create_user(
                email, None, fullname=f"Demo Speaker {index + 1}"
            )
            speakers.append(user)
        reviewer = User.objects.filter(
            email="reviewer@demo.eventyay.invalid"
        ).first() or User.objects.create_user(
            "reviewer@demo.eventyay.invalid", None, fullname="Demo Reviewer"
        )
        team, _created = Team.objects.get_or_create(
            organizer=event.organizer, name="Reviewers", defaults={"all_events": True}
        )
        team.members.add(reviewer)
        reviewer_team_set(team=team, is_reviewer=True)
        submissions = []
        for index, (title, state) in enumerate(TALKS):
            submission = submission_create(
                event=event,
                speaker=speakers[index % len(speakers)],
                data={
                    "title": title,
                    "abstract": f"An abstract for “{title}”.",
                    "description": "A longer description of what the audience will learn.",
                    "submission_type": talk,
                    "track": tracks[index % 2],
                },
                submit=PATHS[state] is not None,
            )
            for step in PATHS[state] or []:
                submission_state_change(submission=submission, new_state=step, send_mail=False)
            submissions.append(submission)
        submissions[0].speakers.add(speakers[5])
        scores = list(category.scores.all())
        for index, submission in enumerate(submissions[:6]):
            if (
                submission.state != "draft"
                and not Review.objects.filter(submission=submission, user=reviewer).exists()
            ):
                review_save(
                    submission=submission, user=reviewer, text="Looks good to me.", scores=[scores[index % 3]]
                )
        wip = wip_schedule(event=event)
        start = event.date_from.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        slots = list(
            TalkSlot.objects.filter(schedule=wip, kind=TalkSlot.Kind.TALK).select_related("submission")
        )
        # Talk slots always have a submission; the check only tells the type checker.
        for index, slot in enumerate(
            sorted(slots, key=lambda s: s.submission.title if s.submission is not None else "")
        ):
            day = index % 2
            begin = start + dt.timedelta(days=day, minutes=45 * (index // 2))
            slot_schedule(slot=slot, room=rooms[index % 2], start=begin)
        break_create(
            event=event,
            room=rooms[0],
            start=start + dt.timedelta(hours=3),
            end=start + dt.timedelta(hours=4),
            description={"en": "Lunch"},
        )
        if not Schedule.objects.filter(event=event, version="1.0").exists():
            schedule_release(
                event=event, version="1.0", comment="First published schedule", notify_speakers=False
            )
