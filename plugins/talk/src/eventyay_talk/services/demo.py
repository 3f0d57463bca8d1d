"""Demo content for ``python -m eventyay demo``: a conference worth looking at.

An open CfP, a handful of proposals in every state with reviews, and about forty confirmed
talks with speakers, biographies and coloured tracks in four rooms over the event's days, with
breaks across all rooms. Version 1.0 is released, then a few talks move and one is canceled,
and version 1.1 is released with its changelog. Two accepted but unconfirmed talks stay in the
editor only. The bulk is written with batch inserts inside one transaction, so the demo is
ready in a few seconds; a second run finds the proposals and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from itertools import cycle

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from i18nfield.strings import LazyI18nString

from eventyay.base.models import Event, Team, User
from eventyay_talk.models import (
    Review,
    Room,
    SpeakerProfile,
    Submission,
    SubmissionStates,
    SubmissionType,
    TalkSlot,
    Track,
)
from eventyay_talk.models.codes import generate_code
from eventyay_talk.services.cfp import cfp_update
from eventyay_talk.services.reviews import review_save, reviewer_team_set, score_category_save
from eventyay_talk.services.schedule import room_save, schedule_release, slot_schedule, wip_schedule
from eventyay_talk.services.submissions import submission_create, submission_state_change

#: Proposals that show every state of the review process (the confirmed ones are scheduled too).
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
ROOMS = [("Main hall", 500), ("Room Ada", 120), ("Room Grace", 120), ("Workshop room", 40)]
TRACKS = [
    ("Software", "#1f6fb4"),
    ("Community", "#2a8a2a"),
    ("Design", "#c0392b"),
    ("Operations", "#7b4bb0"),
]
#: Talks of the programme: title, track index, workshop (90 minutes) or talk.
PROGRAMME = [
    ("Keeping a volunteer team happy", 1, False),
    ("Designing badges people can read", 2, False),
    ("Zero-downtime deployments for event sites", 3, False),
    ("What we learned selling 10,000 tickets in an hour", 3, False),
    ("Colour systems for conference branding", 2, False),
    ("Writing a code of conduct that works", 1, False),
    ("Type hints in a large Django project", 0, False),
    ("Hybrid events without the headache", 3, False),
    ("Wayfinding at the venue", 2, False),
    ("Mentoring first-time speakers", 1, False),
    ("Realtime chat at scale with WebSockets", 0, False),
    ("Running PostgreSQL in production", 3, False),
    ("Building inclusive communities", 1, False),
    ("Internationalisation beyond translation", 0, False),
    ("Print design for the web generation", 2, False),
    ("Observability on a budget", 3, False),
    ("From meetup to conference", 1, False),
    ("Accessible forms, step by step", 2, False),
    ("Testing with real browsers", 0, False),
    ("Sponsorship that helps both sides", 1, False),
    ("Caching public pages correctly", 0, False),
    ("Streaming talks to the world", 3, False),
    ("Icons, pictograms and signage", 2, False),
    ("The economics of free software", 1, False),
    ("Event data as open data", 0, False),
    ("Security for small teams", 3, False),
    ("Diversity scholarships in practice", 1, False),
    ("Motion design for slides", 2, False),
    ("Plugins all the way down", 0, False),
    ("Hands-on: your first plugin", 0, True),
    ("Hands-on: accessible colour palettes", 2, True),
    ("Hands-on: load testing a ticket shop", 3, True),
    ("Hands-on: facilitating open spaces", 1, True),
    ("Lightning talks", 1, False),
    ("Closing keynote: thank you", 1, False),
    ("Packaging Python applications", 0, False),
]
FIRST = ["Ada", "Alan", "Barbara", "Carlos", "Chiara", "Dmitri", "Elif", "Fatima", "Grace", "Hiroshi"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Nakamura", "Schröder", "Alvarez", "Kowalski", "Haddad"]
BIOS = [
    "{name} builds software for events and has organized community conferences for a decade.",
    "{name} works on open-source tools for organizers and likes good typography.",
    "{name} runs infrastructure for a large non-profit and writes about reliability.",
    "{name} teaches design and accessibility and speaks at conferences across Europe.",
]
#: Start times (hour, minute) of the talk sessions per day; breaks between them cover all rooms.
SESSIONS = [(10, 0), (10, 45), (11, 30), (13, 30), (14, 15), (15, 30)]
BREAKS = [((12, 15), (13, 30), "Lunch"), ((15, 0), (15, 30), "Coffee break")]
WORKSHOPS = [(10, 0), (13, 30)]
#: Days with a programme (the demo event lasts two days).
DAYS = 2


def demo_talk_data(*, event: Event) -> None:
    """Create the demo programme once (idempotent: nothing happens if proposals exist)."""
    if Submission.objects.filter(event=event).exists():
        return
    with transaction.atomic():
        kinds = _showcase(event)
        _programme(event, kinds)
        schedule_release(
            event=event, version="1.0", comment="First published schedule", notify_speakers=False
        )
        _changes(event, kinds)
        schedule_release(
            event=event,
            version="1.1",
            comment="Two talks moved, one was canceled, a late keynote joined",
            notify_speakers=False,
        )


def _showcase(event: Event) -> dict[str, SubmissionType]:
    """The CfP, types, tracks, rooms, reviewers and ten proposals through the real services."""
    now = timezone.now()
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
    workshop = SubmissionType.objects.create(
        event=event, name=LazyI18nString({"en": "Workshop"}), default_duration=90
    )
    Track.objects.bulk_create(
        Track(event=event, name=LazyI18nString({"en": name}), color=color, position=index)
        for index, (name, color) in enumerate(TRACKS)
    )
    tracks = list(Track.objects.filter(event=event))
    for index, (name, capacity) in enumerate(ROOMS):
        room_save(event=event, data={"name": {"en": name}, "capacity": capacity, "position": index})
    category = score_category_save(
        event=event, name={"en": "Relevance"}, values={0: "poor", 1: "fine", 2: "great"}
    )
    speakers = _users(
        event, [(f"speaker{n}@demo.eventyay.invalid", f"Demo Speaker {n + 1}") for n in range(6)]
    )
    reviewer = User.objects.filter(
        email="reviewer@demo.eventyay.invalid"
    ).first() or User.objects.create_user("reviewer@demo.eventyay.invalid", None, fullname="Demo Reviewer")
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
                "track": tracks[index % len(tracks)],
            },
            submit=PATHS[state] is not None,
            send_mail=False,
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
    return {"talk": talk, "workshop": workshop}


def _users(event: Event, people: list[tuple[str, str]]) -> list[User]:
    """Users by email (created in one insert where missing) with a public profile and biography."""
    emails = [email for email, _name in people]
    existing = {user.email: user for user in User.objects.filter(email__in=emails)}
    unusable = make_password(None)
    User.objects.bulk_create(
        User(email=email, fullname=name, password=unusable) for email, name in people if email not in existing
    )
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    with_profile = set(
        SpeakerProfile.objects.filter(event=event, user__in=users.values()).values_list("user_id", flat=True)
    )
    SpeakerProfile.objects.bulk_create(
        SpeakerProfile(
            event=event,
            user=users[email],
            code=generate_code(),
            name=name,
            biography=BIOS[index % len(BIOS)].format(name=name),
        )
        for index, (email, name) in enumerate(people)
        if users[email].pk not in with_profile
    )
    return [users[email] for email in emails]


def _day_start(event: Event, day: int) -> dt.datetime:
    """Midnight of the event's ``day``-th day in the event's time zone."""
    first = timezone.localtime(event.date_from, event.tz).date() + dt.timedelta(days=day)
    return dt.datetime.combine(first, dt.time(0, 0), tzinfo=event.tz)


def _programme(event: Event, kinds: dict[str, SubmissionType]) -> None:
    """About forty confirmed talks placed in the rooms, plus breaks across all rooms (batch inserts)."""
    tracks = list(Track.objects.filter(event=event))
    rooms = list(Room.objects.filter(event=event))
    names = [f"{first} {last}" for first, last in zip(cycle(FIRST), LAST * 5, strict=False)][: len(PROGRAMME)]
    speakers = _users(event, [(f"talk{n}@demo.eventyay.invalid", name) for n, name in enumerate(names)])
    Submission.objects.bulk_create(
        Submission(
            event=event,
            code=generate_code(),
            title=title,
            abstract=f"What you will take home from “{title}”.",
            description="A practical session with examples from real events.",
            submission_type=kinds["workshop" if is_workshop else "talk"],
            track=tracks[track],
            state=SubmissionStates.CONFIRMED,
            content_locale="en",
        )
        for title, track, is_workshop in PROGRAMME
    )
    by_title = {s.title: s for s in Submission.objects.filter(event=event, state=SubmissionStates.CONFIRMED)}
    through = Submission.speakers.through
    links = [
        through(submission_id=by_title[title].pk, user_id=speakers[index].pk)
        for index, (title, _track, _workshop) in enumerate(PROGRAMME)
    ]
    # A few talks have a second speaker.
    links += [
        through(submission_id=by_title[PROGRAMME[index][0]].pk, user_id=speakers[index + 1].pk)
        for index in range(0, 12, 4)
    ]
    through.objects.bulk_create(links)
    wip = wip_schedule(event=event)
    placed = {slot.submission_id for slot in TalkSlot.objects.filter(schedule=wip, kind=TalkSlot.Kind.TALK)}
    TalkSlot.objects.bulk_create(
        TalkSlot(schedule=wip, kind=TalkSlot.Kind.TALK, submission=submission)
        for submission in by_title.values()
        if submission.pk not in placed
    )
    # Free places in time order: day by day, session by session, room by room.
    places: dict[bool, list[tuple[Room, dt.datetime, int]]] = {False: [], True: []}
    for day in range(DAYS):
        midnight = _day_start(event, day)
        for hour, minute in SESSIONS:
            for room in rooms[:3]:
                length = 45 if room == rooms[0] else 30
                places[False].append((room, midnight + dt.timedelta(hours=hour, minutes=minute), length))
        for hour, minute in WORKSHOPS:
            places[True].append((rooms[3], midnight + dt.timedelta(hours=hour, minutes=minute), 90))
    slots = list(
        TalkSlot.objects.filter(
            schedule=wip, kind=TalkSlot.Kind.TALK, submission__state=SubmissionStates.CONFIRMED
        )
        .select_related("submission")
        .order_by("submission__pk")
    )
    placed_slots, submissions = [], []
    for slot in slots:
        submission = slot.submission
        if submission is None:  # talk slots always have a submission
            continue
        queue = places[submission.submission_type_id == kinds["workshop"].pk]
        if not queue:
            continue
        room, start, length = queue.pop(0)
        slot.room, slot.start, slot.end = room, start, start + dt.timedelta(minutes=length)
        submission.duration = length
        placed_slots.append(slot)
        submissions.append(submission)
    TalkSlot.objects.bulk_update(placed_slots, ["room", "start", "end"])
    Submission.objects.bulk_update(submissions, ["duration"])
    TalkSlot.objects.bulk_create(
        TalkSlot(
            schedule=wip,
            kind=TalkSlot.Kind.BREAK,
            description=LazyI18nString({"en": name}),
            room=room,
            start=_day_start(event, day) + dt.timedelta(hours=start[0], minutes=start[1]),
            end=_day_start(event, day) + dt.timedelta(hours=end[0], minutes=end[1]),
        )
        for day in range(DAYS)
        for start, end, name in BREAKS
        for room in rooms
    )


def _changes(event: Event, kinds: dict[str, SubmissionType]) -> None:
    """What happens between two releases: two talks swap places, one is canceled, the keynote
    is confirmed and placed; an accepted talk waits for its speaker's confirmation (so the
    editor shows it as not to be published)."""
    wip = wip_schedule(event=event)
    rooms = list(Room.objects.filter(event=event))
    slots = list(
        TalkSlot.objects.filter(schedule=wip, kind=TalkSlot.Kind.TALK, room__isnull=False)
        .select_related("submission", "room")
        .order_by("start", "room__position")
    )
    first, second = slots[1], slots[5]
    places = [(slot.room, slot.start, slot.end) for slot in (first, second)]
    for slot, (room, start, _end), (_room, own_start, own_end) in zip(
        (first, second), reversed(places), places, strict=True
    ):
        if room is not None and start is not None and own_start is not None and own_end is not None:
            slot_schedule(slot=slot, room=room, start=start, end=start + (own_end - own_start))
    if slots[-1].submission is not None:
        submission_state_change(submission=slots[-1].submission, new_state="canceled", send_mail=False)
    keynote = Submission.objects.get(event=event, title=TALKS[4][0])
    submission_state_change(submission=keynote, new_state="confirmed", send_mail=False)
    keynote_slot = TalkSlot.objects.get(schedule=wip, submission=keynote)
    slot_schedule(
        slot=keynote_slot,
        room=rooms[0],
        start=_day_start(event, 0) + dt.timedelta(hours=9),
        end=_day_start(event, 0) + dt.timedelta(hours=9, minutes=45),
    )
    waiting = submission_create(
        event=event,
        speaker=_users(event, [("late@demo.eventyay.invalid", "Lee Late")])[0],
        data={
            "title": "Waiting for the speaker's confirmation",
            "abstract": "Accepted, not yet confirmed: the editor shows that it will not be published.",
            "submission_type": kinds["talk"],
        },
        send_mail=False,
    )
    submission_state_change(submission=waiting, new_state="accepted", send_mail=False)
    waiting_slot = TalkSlot.objects.get(schedule=wip, submission=waiting)
    slot_schedule(slot=waiting_slot, room=rooms[2], start=_day_start(event, 0) + dt.timedelta(hours=9))
