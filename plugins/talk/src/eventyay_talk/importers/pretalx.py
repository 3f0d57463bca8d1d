"""Importing an event's talk data from pretalx through its REST API (API versions v1 and v2).

The run, in order, each type in a transaction of its own: the event, submission types, tracks,
rooms, CfP questions, speakers (accounts, profiles, availabilities, avatars), submissions with
their states, reviews (when the token may read them), answers, and the released schedule
versions with their slots. A run that stops half-way keeps the types it finished; the next run
picks up from the mapping records.

Every imported row is remembered by its id at pretalx (:class:`~eventyay_talk.models.TalkImportRecord`),
so a second run updates instead of duplicating. A dry run does all of it inside one transaction
that is rolled back (and downloads no files), so its report is what the import would do.

Talk codes and speaker codes are kept, so ``/<event>/talk/<CODE>/`` links of pretalx can be
redirected to the same talk here (:mod:`eventyay_talk.views.pretalx_redirects`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
import time
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django_scopes import scope

from eventyay.base.models import Event, Organizer, User
from eventyay.base.services.cache import content_version_bump
from eventyay.base.services.events import event_create, event_update
from eventyay.base.services.import_report import ImportReport
from eventyay.base.services.log import Actor
from eventyay.base.services.source_api import SourceAPI, SourceAPIError
from eventyay_talk.importers.pretalx_records import PretalxRecords
from eventyay_talk.importers.pretalx_schedule import import_schedules
from eventyay_talk.importers.pretalx_values import availabilities, i18n, moment
from eventyay_talk.models import (
    Answer,
    Question,
    QuestionOption,
    Review,
    Room,
    SpeakerProfile,
    Submission,
    SubmissionStates,
    SubmissionType,
    TalkImport,
    Track,
)

Progress = Callable[[int], None]

#: pretalx question variants and ours; the others are reported and skipped.
QUESTION_VARIANTS = {
    "number": Question.Variant.NUMBER,
    "string": Question.Variant.TEXT,
    "text": Question.Variant.TEXT,
    "url": Question.Variant.TEXT,
    "date": Question.Variant.DATE,
    "boolean": Question.Variant.BOOLEAN,
    "file": Question.Variant.FILE,
    "choices": Question.Variant.CHOICE,
    "multiple_choice": Question.Variant.MULTIPLE_CHOICE,
}

SLUG_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.-]*$")
#: Accounts made for speakers whose address the token may not read, and for reviewers (pretalx
#: names them but gives no address): they cannot log in and never get mail.
PLACEHOLDER_DOMAIN = "pretalx.invalid"


class PretalxImportError(Exception):
    """The import cannot start or go on; the message can be shown as it is."""


@dataclass(frozen=True)
class PretalxSource:
    """Where to import from: the pretalx installation, a token that may read the event, the event."""

    url: str
    token: str
    event: str

    @property
    def api_root(self) -> str:
        """The API root (``…/api/``) of ``url``, which may be the installation's address or the root itself."""
        base = self.url.strip().rstrip("/")
        if not base.endswith("/api"):
            base += "/api"
        return base + "/"

    @property
    def event_path(self) -> str:
        return f"events/{self.event}/"


def placeholder_email(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return f"{kind}-{digest}@{PLACEHOLDER_DOMAIN}"


class Importer:
    """One run: holds the client, the mapping and the report; see the module docstring."""

    def __init__(
        self,
        *,
        api: SourceAPI,
        source: PretalxSource,
        organizer: Organizer,
        event_slug: str,
        dry_run: bool,
        actor: Actor = None,
        progress: Progress | None = None,
    ) -> None:
        self.api = api
        self.source = source
        self.organizer = organizer
        self.event_slug = event_slug
        self.actor = actor
        self.report = ImportReport(dry_run=dry_run)
        self._progress = progress
        self.event: Event
        self.records: PretalxRecords
        #: Speaker code at pretalx → the id of the account here.
        self.speaker_users: dict[str, int] = {}

    def progress(self, percentage: int) -> None:
        if self._progress is not None:
            self._progress(max(0, min(100, percentage)))

    def results(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return list(self.api.iter_results(self.source.event_path + path, params))

    def download(self, kind: str, source_id: Any, url: str) -> ContentFile[bytes] | None:
        """A file of the source (avatar, image, answer file); a failure skips only the file."""
        if self.report.dry_run or not url:
            return None
        try:
            content = self.api.get_bytes(url)
        except SourceAPIError as exc:
            self.report.skip(kind, source_id, _("The file could not be read: %(problem)s") % {"problem": exc})
            return None
        name = posixpath.basename(urlsplit(url).path) or "file"
        return ContentFile(content, name=name)

    # The run ----------------------------------------------------------------------------------

    def run(self) -> ImportReport:
        event_data = self.api.get(self.source.event_path)
        self.progress(2)
        steps: list[tuple[Callable[[], None], int]] = [
            (self._submission_types, 5),
            (self._tracks, 8),
            (self._rooms, 11),
            (self._questions, 15),
            (self._speakers, 35),
            (self._submissions, 55),
            (self._reviews, 65),
            (self._answers, 80),
            (lambda: import_schedules(self), 98),
        ]
        with scope(organizer=self.organizer):
            if self.report.dry_run:
                with transaction.atomic():
                    self._event(event_data)
                    for step, percentage in steps:
                        step()
                        self.progress(percentage)
                    transaction.set_rollback(True)
                return self.report
            with transaction.atomic():
                self._event(event_data)
            for step, percentage in steps:
                with transaction.atomic():
                    step()
                self.progress(percentage)
            TalkImport.objects.filter(pk=self.records.talk_import.pk).update(
                last_run=timezone.now(), last_report=self.report.as_dict()
            )
            content_version_bump(self.event)
        self.progress(100)
        return self.report

    # The event --------------------------------------------------------------------------------

    def _event(self, data: dict[str, Any]) -> None:
        tz_name = str(data.get("timezone") or "UTC")
        try:
            tz = zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise PretalxImportError(_("The time zone “%(tz)s” is unknown.") % {"tz": tz_name}) from exc
        first, last = parse_date(str(data.get("date_from") or "")), parse_date(str(data.get("date_to") or ""))
        if first is None:
            raise PretalxImportError(_("The pretalx event has no start date."))
        locales = [str(code) for code in data.get("locales") or []] or ["en"]
        fields: dict[str, Any] = {
            "name": i18n(data.get("name")) or self.source.event,
            # pretalx events have days, ours have moments: the first day's start to the last day's end.
            "date_from": dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            "date_to": dt.datetime.combine(last or first, dt.time(23, 59), tzinfo=tz),
            "timezone": tz_name,
            "locale": str(data.get("locale") or locales[0]),
            "locales": locales,
            "is_public": bool(data.get("is_public", True)),
        }
        event = Event.objects.filter(organizer=self.organizer, slug=self.event_slug).first()
        try:
            if event is None:
                event = event_create(
                    organizer=self.organizer,
                    data={**fields, "slug": self.event_slug},
                    plugins=["talk"],
                    actor=self.actor,
                )
                self.report.count("event", created=True)
            else:
                self._check_target(event)
                event = event_update(event=event, data=fields, actor=self.actor)
                self.report.count("event", created=False)
        except ValidationError as exc:
            raise PretalxImportError(
                _("The event cannot be saved: %(problem)s") % {"problem": " ".join(exc.messages)}
            ) from exc
        if not event.has_plugin("talk"):
            raise PretalxImportError(
                _("The talk plugin is off for the event %(slug)s; switch it on first.") % {"slug": event.slug}
            )
        self.event = event
        talk_import, _created = TalkImport.objects.get_or_create(
            event=event,
            source_kind=TalkImport.SourceKind.PRETALX,
            source_url=self.source.api_root,
            source_event=self.source.event,
        )
        self.records = PretalxRecords(talk_import, self.report)

    def _check_target(self, event: Event) -> None:
        """An existing event may only be the target of the same pretalx event, or have no proposals yet."""
        imports = TalkImport.objects.filter(event=event, source_kind=TalkImport.SourceKind.PRETALX)
        if imports.exists():
            if not imports.filter(source_url=self.source.api_root, source_event=self.source.event).exists():
                raise PretalxImportError(
                    _(
                        "This event was imported from %(source)s; import another pretalx event into a new event."
                    )
                    % {"source": str(imports.first())}
                )
            return
        if Submission.objects.filter(event=event).exists():
            raise PretalxImportError(
                _("The event %(slug)s already has proposals; import into a new event.") % {"slug": event.slug}
            )

    # The CfP's configuration -------------------------------------------------------------------

    def _submission_types(self) -> None:
        for data in self.results("submission-types/"):
            self.records.save(
                "submission_type",
                data["id"],
                SubmissionType,
                {
                    "name": i18n(data.get("name")),
                    "default_duration": int(data.get("default_duration") or 30),
                    "deadline": moment(data.get("deadline")),
                },
                event=self.event,
            )

    def _tracks(self) -> None:
        for data in self.results("tracks/"):
            color = str(data.get("color") or "")
            self.records.save(
                "track",
                data["id"],
                Track,
                {
                    "name": i18n(data.get("name")),
                    "description": i18n(data.get("description")) or None,
                    "color": color if re.fullmatch(r"#[0-9a-fA-F]{6}", color) else "#3b7a57",
                    "position": max(0, int(data.get("position") or 0)),
                },
                event=self.event,
            )

    def _rooms(self) -> None:
        for data in self.results("rooms/"):
            fields: dict[str, Any] = {
                "name": i18n(data.get("name")),
                "description": i18n(data.get("description")) or None,
                "capacity": data.get("capacity"),
                "position": max(0, int(data.get("position") or 0)),
                "availabilities": availabilities(data.get("availabilities")),
            }
            guid = _uuid(data.get("guid")) or _uuid(data.get("uuid"))
            if guid is not None:
                # Schedule XML and video players address rooms by guid: keep pretalx's.
                fields["guid"] = guid
            self.records.save("room", data["id"], Room, fields, event=self.event)

    def _questions(self) -> None:
        for data in self.results("questions/"):
            variant = QUESTION_VARIANTS.get(str(data.get("variant")))
            if variant is None:
                self.report.skip(
                    "question",
                    data["id"],
                    _("The question type “%(type)s” has no counterpart (answers to it are not imported).")
                    % {"type": data.get("variant")},
                )
                continue
            target = str(data.get("target") or "submission")
            if target not in Question.Target.values:
                self.report.skip(
                    "question", data["id"], _("Unknown target “%(target)s”.") % {"target": target}
                )
                continue
            if data.get("question_required") == "after_deadline":
                self.report.notes.append(
                    _("Question %(id)s is required only after a deadline in pretalx; here it is optional.")
                    % {"id": data["id"]}
                )
            question = self.records.save(
                "question",
                data["id"],
                Question,
                {
                    "question": i18n(data.get("question")),
                    "help_text": i18n(data.get("help_text")) or None,
                    "variant": variant,
                    "target": target,
                    "required": data.get("question_required") == "required",
                    "active": bool(data.get("active", True)),
                    "position": max(0, int(data.get("position") or 0)),
                },
                event=self.event,
            )
            for option in data.get("options") or []:
                self.records.save(
                    "option",
                    option["id"],
                    QuestionOption,
                    {
                        "answer": i18n(option.get("answer")),
                        "position": max(0, int(option.get("position") or 0)),
                    },
                    question=question,
                )

    # People -----------------------------------------------------------------------------------

    def _account(self, email: str, name: str, locale: str, fallback: str) -> User:
        """The account of ``email`` here, created without a password (a reset sets one)."""
        address = email.strip().lower()
        active = True
        if not address:
            address, active = fallback, False
        user = User.objects.filter(email=address).first()
        if user is None:
            user = User.objects.create_user(
                address, None, fullname=name[:255], locale=locale or "en", is_active=active
            )
        return user

    def _speakers(self) -> None:
        missing_email = 0
        for data in self.results("speakers/"):
            code = str(data["code"])
            email = str(data.get("email") or "")
            missing_email += not email
            user = self._account(
                email,
                str(data.get("name") or ""),
                str(data.get("locale") or ""),
                placeholder_email("speaker", self.source.api_root, self.source.event, code),
            )
            existing = SpeakerProfile.objects.filter(event=self.event, user=user).first()
            taken = SpeakerProfile.objects.filter(event=self.event, code=code).exclude(user=user).first()
            if taken is not None and self.records.object_id("speaker", code) != taken.pk:
                self.report.skip("speaker", code, _("Another speaker of this event has this code."))
                continue
            profile = self.records.save(
                "speaker",
                code,
                SpeakerProfile,
                {
                    "code": code,
                    "name": str(data.get("name") or "")[:255],
                    "biography": str(data.get("biography") or ""),
                    "availabilities": availabilities(data.get("availabilities")),
                },
                existing=existing,
                event=self.event,
                user=user,
            )
            self.speaker_users[code] = profile.user_id
            if not profile.avatar and data.get("avatar_url"):
                avatar = self.download("avatar", code, str(data["avatar_url"]))
                if avatar is not None:
                    profile.avatar.save(avatar.name or "avatar", avatar, save=True)
        if missing_email:
            self.report.notes.append(
                _(
                    "%(count)d speakers came without an email address (the token may not read them); "
                    "their accounts here cannot log in until an organizer adds an address."
                )
                % {"count": missing_email}
            )

    # Proposals --------------------------------------------------------------------------------

    def _submissions(self) -> None:
        states = set(SubmissionStates.values)
        for data in self.results("submissions/"):
            code = str(data["code"])
            submission_type = self.records.get(SubmissionType, "submission_type", data.get("submission_type"))
            if submission_type is None:
                self.report.skip("submission", code, _("Its session type was not imported."))
                continue
            state = str(data.get("state") or "submitted")
            if state not in states:
                self.report.skip("submission", code, _("Unknown state “%(state)s”.") % {"state": state})
                continue
            pending = str(data.get("pending_state") or "")
            existing = Submission.objects.filter(event=self.event, code=code).first()
            if existing is not None and self.records.object_id("submission", code) != existing.pk:
                self.report.skip("submission", code, _("A proposal of this event already has this code."))
                continue
            submission = self.records.save(
                "submission",
                code,
                Submission,
                {
                    "code": code,
                    "title": str(data.get("title") or code)[:300],
                    "abstract": str(data.get("abstract") or ""),
                    "description": str(data.get("description") or ""),
                    "notes": str(data.get("notes") or ""),
                    "internal_notes": str(data.get("internal_notes") or ""),
                    "duration": data.get("duration"),
                    "track": self.records.get(Track, "track", data.get("track"))
                    if data.get("track")
                    else None,
                    "submission_type": submission_type,
                    "content_locale": str(data.get("content_locale") or self.event.locale)[:16],
                    "state": state,
                    "pending_state": pending if pending in states else "",
                },
                event=self.event,
            )
            speakers = [self.speaker_users[c] for c in data.get("speakers") or [] if c in self.speaker_users]
            submission.speakers.set(speakers)
            if not submission.image and data.get("image"):
                image = self.download("image", code, str(data["image"]))
                if image is not None:
                    submission.image.save(image.name or "image", image, save=True)

    def _reviews(self) -> None:
        try:
            reviews = self.results("reviews/")
        except SourceAPIError as exc:
            if exc.status not in (401, 403):
                raise
            self.report.notes.append(_("The token may not read the reviews; they were not imported."))
            return
        categories_noted = False
        for data in reviews:
            submission = self.records.get(Submission, "submission", data.get("submission"))
            if submission is None:
                self.report.skip("review", data["id"], _("Its proposal was not imported."))
                continue
            reviewer = str(data.get("user") or "")
            user = self._account(
                "", reviewer, "", placeholder_email("reviewer", self.source.api_root, reviewer)
            )
            if data.get("scores") and not categories_noted:
                categories_noted = True
                self.report.notes.append(
                    _("Reviews keep their total score; the scores per category are not imported.")
                )
            self.records.save(
                "review",
                data["id"],
                Review,
                {"text": str(data.get("text") or ""), "score": _decimal(data.get("score"))},
                existing=Review.objects.filter(submission=submission, user=user).first(),
                submission=submission,
                user=user,
            )

    def _answers(self) -> None:
        for data in self.results("answers/"):
            question = self.records.get(Question, "question", data.get("question"))
            if question is None:
                self.report.skip("answer", data["id"], _("Its question was not imported."))
                continue
            owner: dict[str, Any] = {"submission": None, "person_id": None, "review": None}
            if data.get("review"):
                owner["review"] = self.records.get(Review, "review", data["review"])
            elif data.get("submission"):
                owner["submission"] = self.records.get(Submission, "submission", data["submission"])
            elif data.get("person"):
                owner["person_id"] = self.speaker_users.get(str(data["person"]))
            if not any(owner.values()):
                self.report.skip("answer", data["id"], _("What it answers for was not imported."))
                continue
            answer = self.records.save(
                "answer",
                data["id"],
                Answer,
                {**owner, "answer": str(data.get("answer") or "")},
                question=question,
            )
            answer.options.set(
                [o for o in (self.records.object_id("option", i) for i in data.get("options") or []) if o]
            )
            if not answer.answer_file and data.get("answer_file"):
                file = self.download("answer", data["id"], str(data["answer_file"]))
                if file is not None:
                    answer.answer = file.name or ""
                    answer.answer_file.save(file.name or "file", file, save=True)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def pretalx_import(
    *,
    source: PretalxSource,
    organizer: Organizer,
    event_slug: str,
    dry_run: bool = False,
    actor: Actor = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ImportReport:
    """Import ``source`` into ``organizer``'s event ``event_slug`` (created if it does not exist).

    Raises :class:`PretalxImportError` with a message for people when the source cannot be read
    (wrong URL, a token that is refused, an unknown event) or the target cannot take it.
    """
    if not SLUG_PATTERN.match(source.event):
        raise PretalxImportError(
            _("The pretalx event “%(value)s” is not a short form.") % {"value": source.event}
        )
    try:
        api = SourceAPI(source.api_root, source.token, sleep=sleep or time.sleep)
        importer = Importer(
            api=api,
            source=source,
            organizer=organizer,
            event_slug=event_slug,
            dry_run=dry_run,
            actor=actor,
            progress=progress,
        )
        return importer.run()
    except SourceAPIError as exc:
        if exc.status == 404 and exc.url.rstrip("/").endswith(source.event_path.rstrip("/")):
            raise PretalxImportError(
                _("pretalx knows no event %(event)s (or the token may not see it).") % {"event": source.event}
            ) from exc
        raise PretalxImportError(
            _("Reading from pretalx failed: %(problem)s") % {"problem": str(exc)}
        ) from exc
