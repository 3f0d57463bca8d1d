"""The talk plugin's data exports for organizers: proposals with reviews, speakers, the printable schedule.

They are registered through ``register_data_exporters`` and run as background jobs from the
Export page or the API (see :mod:`eventyay.base.exporters`). The public schedule formats (frab
XML, JSON, iCal) are something else: :mod:`eventyay_talk.exporters`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Avg, Count, DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from reportlab.platypus import Flowable, PageBreak

from eventyay.base.exporters import Column, ListExporter, MultiSheetListExporter, PDFExporter, Progress, Sheet
from eventyay.base.models import User
from eventyay_talk.control.common import READ, SCHEDULE
from eventyay_talk.models import (
    Review,
    ReviewScore,
    Room,
    Schedule,
    ScoreCategory,
    SpeakerProfile,
    Submission,
    SubmissionStates,
    TalkSlot,
    Track,
)
from eventyay_talk.selectors import latest_schedule

if TYPE_CHECKING:
    from eventyay.base.models import Event
    from eventyay.base.plugins.records import Text

#: Rows read from the database at a time.
CHUNK_SIZE = 500
#: Without a state filter the exports leave out drafts: nobody submitted them yet.
DEFAULT_STATES = [state for state in SubmissionStates.values if state != SubmissionStates.DRAFT]
_CENT = Decimal("0.01")


def _state_field(label: Text) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=SubmissionStates.choices,
        required=False,
        help_text=_("Leave empty for every state but draft."),
    )


def _chosen_states(options: dict[str, Any]) -> list[str]:
    return list(options.get("state") or DEFAULT_STATES)


def _speakers_with_names(event: Event | None, lookup: str = "speakers") -> Prefetch:
    """Submissions' speakers in a fixed order, each with their profile at ``event`` (or none)."""
    profiles = Prefetch(
        "talk_profiles", queryset=SpeakerProfile.objects.filter(event=event), to_attr="event_profiles"
    )
    return Prefetch(lookup, queryset=User.objects.order_by("pk").prefetch_related(profiles))


def _speaker_name(user: User) -> str:
    """The name the speaker gave the event, else their account's name (as the public pages do)."""
    profiles = getattr(user, "event_profiles", [])
    return (profiles[0].name if profiles else "") or user.fullname or user.email


def _rounded(value: Decimal | float | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(_CENT)


class ProposalsExporter(MultiSheetListExporter):
    """Proposals and their reviews side by side, for review meetings.

    Team members who may read proposals see every review with its author and every proposal's
    speakers in the control panel, whatever the active review phase hides from reviewers (blind
    review concerns reviewers only), so the export shows them too.
    """

    identifier = "talk_proposals"
    verbose_name = _("Proposals and reviews")
    description = _(
        "Every proposal with its speakers, number of reviews and average scores, and every review "
        "with its scores and text."
    )
    category = _("Proposals")
    required_permission = READ

    def option_fields(self) -> dict[str, forms.Field]:
        return {
            **super().option_fields(),
            "state": _state_field(_("Proposals in these states")),
            "track": forms.MultipleChoiceField(
                label=_("Tracks"),
                choices=[
                    (str(track.pk), str(track.name)) for track in Track.objects.filter(event=self.event)
                ],
                required=False,
                help_text=_("Leave empty for every track (and proposals without one)."),
            ),
        }

    def sheets(self, options: dict[str, Any]) -> Sequence[Sheet]:
        return [Sheet("proposals", _("Proposals")), Sheet("reviews", _("Reviews"))]

    @cached_property
    def categories(self) -> list[ScoreCategory]:
        return list(ScoreCategory.objects.filter(event=self.event).order_by("pk"))

    def submissions(self, options: dict[str, Any]) -> QuerySet[Submission]:
        queryset = Submission.objects.filter(event=self.event, state__in=_chosen_states(options))
        if options.get("track"):
            queryset = queryset.filter(track_id__in=[int(pk) for pk in options["track"]])
        return queryset

    def reviews(self, options: dict[str, Any]) -> QuerySet[Review]:
        return Review.objects.filter(submission__in=self.submissions(options))

    def sheet_columns(self, sheet: str, options: dict[str, Any]) -> Sequence[Column]:
        if sheet == "proposals":
            return [
                Column("code", _("Code")),
                Column("title", _("Title")),
                Column("type", _("Type")),
                Column("track", _("Track")),
                Column("state", _("State")),
                Column("speakers", _("Speakers")),
                Column("language", _("Language")),
                Column("duration", _("Duration (minutes)")),
                Column("score", _("Average score")),
                Column("reviews", _("Reviews")),
                *[
                    Column(f"score_{category.pk}", _t("%(category)s (average)") % {"category": category.name})
                    for category in self.categories
                ],
            ]
        return [
            Column("code", _("Proposal")),
            Column("title", _("Title")),
            Column("reviewer", _("Reviewer")),
            Column("reviewer_email", _("Reviewer email")),
            Column("score", _("Score")),
            *[Column(f"score_{category.pk}", str(category.name)) for category in self.categories],
            Column("text", pgettext_lazy("noun", "Review")),
            Column("created", _("Written")),
            Column("updated", _("Last changed")),
        ]

    def sheet_total(self, sheet: str, options: dict[str, Any]) -> int | None:
        if sheet == "proposals":
            return self.submissions(options).count()
        return self.reviews(options).count()

    def sheet_rows(self, sheet: str, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        if sheet == "proposals":
            return self._proposal_rows(options)
        return self._review_rows(options)

    def _proposal_rows(self, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        # One subquery per category rather than joins: joining reviews and their scores together
        # would count every review once per score and skew the other aggregates.
        category_averages = {
            f"category_{category.pk}": Subquery(
                ReviewScore.objects.filter(category=category, reviews__submission=OuterRef("pk"))
                .values("category")
                .annotate(average=Avg("value"))
                .values("average"),
                output_field=DecimalField(),
            )
            for category in self.categories
        }
        queryset = (
            self.submissions(options)
            .select_related("track", "submission_type")
            .prefetch_related(_speakers_with_names(self.event))
            .annotate(review_count=Count("reviews"), average_score=Avg("reviews__score"), **category_averages)
            .order_by(F("average_score").desc(nulls_last=True), "code")
        )
        submission: Any  # carries the annotations, which the model class does not declare
        for submission in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield [
                submission.code,
                submission.title,
                str(submission.submission_type.name),
                str(submission.track.name) if submission.track is not None else "",
                SubmissionStates(submission.state).label,
                "\n".join(_speaker_name(user) for user in submission.speakers.all()),
                submission.content_locale,
                submission.export_duration,
                _rounded(submission.average_score),
                submission.review_count,
                *[_rounded(getattr(submission, f"category_{category.pk}")) for category in self.categories],
            ]

    def _review_rows(self, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        queryset = (
            self.reviews(options)
            .select_related("submission", "user")
            .prefetch_related("scores")
            .order_by("submission__code", "created", "pk")
        )
        for review in queryset.iterator(chunk_size=CHUNK_SIZE):
            values = {score.category_id: score.value for score in review.scores.all()}
            yield [
                review.submission.code,
                review.submission.title,
                review.user.fullname or review.user.email,
                review.user.email,
                review.score,
                *[values.get(category.pk) for category in self.categories],
                review.text,
                review.created,
                review.updated,
            ]


class SpeakersExporter(ListExporter):
    """Everyone speaking on a proposal, with what they submitted and when they can speak."""

    identifier = "talk_speakers"
    verbose_name = _("Speakers")
    description = _(
        "Every speaker with email address, proposals, confirmed talks and the times they are available."
    )
    category = _("Speakers")
    required_permission = READ

    def option_fields(self) -> dict[str, forms.Field]:
        return {**super().option_fields(), "state": _state_field(_("Speakers of proposals in these states"))}

    def columns(self, options: dict[str, Any]) -> Sequence[Column]:
        return [
            Column("code", _("Speaker code")),
            Column("name", _("Name")),
            Column("email", _("Email")),
            Column("proposals", _("Proposals")),
            Column("confirmed", _("Confirmed talks")),
            Column("availability", _("Available (empty: any time)")),
        ]

    def speakers(self, options: dict[str, Any]) -> QuerySet[User]:
        links = Submission.speakers.through.objects.filter(
            submission__event=self.event, submission__state__in=_chosen_states(options)
        )
        return User.objects.filter(pk__in=links.values("user_id"))

    def total(self, options: dict[str, Any]) -> int | None:
        return self.speakers(options).count()

    def rows(self, options: dict[str, Any]) -> Iterable[Sequence[Any]]:
        states = set(_chosen_states(options))
        queryset = (
            self.speakers(options)
            .prefetch_related(
                Prefetch(
                    "talk_submissions",
                    queryset=Submission.objects.filter(event=self.event).order_by("code"),
                    to_attr="event_submissions",
                ),
                Prefetch(
                    "talk_profiles",
                    queryset=SpeakerProfile.objects.filter(event=self.event),
                    to_attr="event_profiles",
                ),
            )
            .order_by("fullname", "email", "pk")
        )
        for user in queryset.iterator(chunk_size=CHUNK_SIZE):
            profile = user.event_profiles[0] if user.event_profiles else None
            submissions = user.event_submissions
            yield [
                profile.code if profile is not None else "",
                _speaker_name(user),
                user.email,
                "\n".join(
                    f"{s.code}: {s.title} ({SubmissionStates(s.state).label})"
                    for s in submissions
                    if s.state in states
                ),
                "\n".join(
                    f"{s.code}: {s.title}" for s in submissions if s.state == SubmissionStates.CONFIRMED
                ),
                "\n".join(self._window(window) for window in (profile.availabilities if profile else [])),
            ]

    def _window(self, window: dict[str, str]) -> str:
        """An availability as the organizer reads it, in the event's time zone."""
        start = dt.datetime.fromisoformat(window["start"]).astimezone(self.timezone)
        end = dt.datetime.fromisoformat(window["end"]).astimezone(self.timezone)
        if start.date() == end.date():
            return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


class SchedulePDFExporter(PDFExporter):
    """The schedule to print and put up: per day a heading, per room a table of its slots."""

    identifier = "talk_schedule_pdf"
    verbose_name = _("Schedule (PDF)")
    description = _("The schedule to print: for each day and room, the times, titles and speakers.")
    category = _("Schedule")
    required_permission = SCHEDULE

    def option_fields(self) -> dict[str, forms.Field]:
        return {
            "version": forms.ChoiceField(
                label=_("Version"),
                choices=[
                    ("latest", _("Latest released version")),
                    ("wip", _("Work in progress (confirmed talks and breaks)")),
                ],
                initial="latest",
                required=False,
            ),
            "room": forms.ChoiceField(
                label=_("Room"),
                choices=[("", _("All rooms"))]
                + [(str(room.pk), str(room.name)) for room in Room.objects.filter(event=self.event)],
                required=False,
            ),
            "day": forms.ChoiceField(
                label=_("Day"),
                choices=[("", _("All days"))]
                + [(day.isoformat(), formats.date_format(day, "DATE_FORMAT")) for day in self.event_days()],
                required=False,
            ),
        }

    def event_days(self) -> list[dt.date]:
        assert self.event is not None
        tz = self.event.tz
        first = timezone.localtime(self.event.date_from, tz).date()
        last = timezone.localtime(self.event.date_to or self.event.date_from, tz).date()
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]

    def schedule(self, options: dict[str, Any]) -> Schedule | None:
        if options.get("version") == "wip":
            return Schedule.objects.filter(event=self.event, version__isnull=True).first()
        assert self.event is not None
        return latest_schedule(self.event)

    def slots(self, schedule: Schedule, options: dict[str, Any]) -> QuerySet[TalkSlot]:
        assert self.event is not None
        queryset = schedule.slots.filter(
            room__isnull=False,
            start__isnull=False,
            end__isnull=False,
            kind__in=[TalkSlot.Kind.TALK, TalkSlot.Kind.BREAK],
        )
        if schedule.is_wip:
            # What a release would publish now.
            queryset = queryset.filter(
                Q(kind=TalkSlot.Kind.BREAK) | Q(submission__state=SubmissionStates.CONFIRMED)
            )
        if options.get("room"):
            queryset = queryset.filter(room_id=int(options["room"]))
        if options.get("day"):
            midnight = dt.datetime.combine(
                dt.date.fromisoformat(options["day"]), dt.time(0), tzinfo=self.event.tz
            )
            queryset = queryset.filter(start__gte=midnight, start__lt=midnight + dt.timedelta(days=1))
        return queryset

    def story(self, options: dict[str, Any], progress: Progress) -> Iterable[Flowable]:
        assert self.event is not None
        schedule = self.schedule(options)
        if schedule is None:
            return [
                self.heading(str(self.verbose_name)),
                self.paragraph(_t("No schedule has been released yet.")),
            ]
        tz = self.event.tz
        queryset = (
            self.slots(schedule, options)
            .select_related("room", "submission")
            .prefetch_related(_speakers_with_names(self.event, "submission__speakers"))
            .order_by("start", "room__position", "room_id", "pk")
        )
        days: dict[dt.date, dict[Room, list[list[str]]]] = defaultdict(lambda: defaultdict(list))
        slots = queryset.iterator(chunk_size=CHUNK_SIZE)
        for slot in progress.iterate(slots, queryset.count(), end=50):
            # The query keeps placed slots only; the check tells the type checker.
            if slot.room is None:
                continue
            start, end = timezone.localtime(slot.start, tz), timezone.localtime(slot.end, tz)
            submission = slot.submission
            if submission is None:
                title, speakers = str(slot.description or ""), ""
            else:
                title = submission.title
                speakers = ", ".join(_speaker_name(user) for user in submission.speakers.all())
            days[start.date()][slot.room].append([f"{start:%H:%M}–{end:%H:%M}", title, speakers])
        story: list[Flowable] = []
        version = schedule.version or _t("work in progress")
        for day, rooms in sorted(days.items()):
            if story:
                story.append(PageBreak())
            weekday = formats.date_format(day, "l")
            story.append(self.heading(f"{weekday}, {formats.date_format(day, 'DATE_FORMAT')} · {version}"))
            for room in sorted(rooms, key=lambda room: (room.position, room.pk)):
                story.append(self.heading(str(room.name), level=2))
                story.append(
                    self.table(
                        [_t("Time"), _t("Title"), _t("Speakers")], rooms[room], widths=[0.15, 0.5, 0.35]
                    )
                )
        if not story:
            story = [self.heading(str(self.verbose_name)), self.paragraph(_t("Nothing is scheduled here."))]
        return story


#: The exporters ``register_data_exporters`` offers for an event with the talk plugin.
DATA_EXPORTERS = [ProposalsExporter, SpeakersExporter, SchedulePDFExporter]
