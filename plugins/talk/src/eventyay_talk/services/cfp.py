"""Call for papers configuration, field rules, access codes and answers to custom questions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from i18nfield.strings import LazyI18nString

from eventyay.base.models import Event, User
from eventyay.base.services.log import Actor, log_action
from eventyay.base.storage import private_storage, unguessable_name
from eventyay_talk.models import AccessCode, Answer, CfP, Question, Submission, SubmissionType, Track
from eventyay_talk.models.cfp import CFP_FIELDS, VISIBILITIES

CFP_EDITABLE = ("headline", "text", "opening", "deadline", "fields")


def cfp_update(*, event: Event, data: dict[str, Any], actor: Actor = None) -> CfP:
    """Change the CfP's texts, dates and field rules (``fields`` is merged per field)."""
    with transaction.atomic():
        cfp, _created = CfP.objects.select_for_update().get_or_create(event=event)
        for key in ("headline", "text"):
            if key in data:
                setattr(cfp, key, LazyI18nString(data[key]))
        for key in ("opening", "deadline"):
            if key in data:
                setattr(cfp, key, data[key])
        if cfp.opening and cfp.deadline and cfp.deadline < cfp.opening:
            raise ValidationError({"deadline": [_("The deadline cannot be before the opening.")]})
        if "fields" in data:
            merged = dict(cfp.fields or {})
            for name, config in (data["fields"] or {}).items():
                if name not in CFP_FIELDS:
                    raise ValidationError({"fields": [_("Unknown field: %s") % name]})
                config = {**CFP_FIELDS[name], **merged.get(name, {}), **config}
                if config["visibility"] not in VISIBILITIES:
                    raise ValidationError({"fields": [_("Unknown visibility for %s.") % name]})
                if name == "title" and config["visibility"] != "required":
                    raise ValidationError({"fields": [_("The title is always required.")]})
                merged[name] = config
            cfp.fields = merged
        cfp.save()
        log_action(
            action="eventyay_talk.cfp.changed",
            organizer=event.organizer,
            event=event,
            obj=cfp,
            actor=actor,
            data={"keys": sorted(k for k in data if k in CFP_EDITABLE)},
        )
    return cfp


def submission_data_validate(*, cfp: CfP, data: dict[str, Any], partial: bool = False) -> None:
    """Apply the CfP's required/optional/not-asked rules and length limits to proposal data.

    ``partial`` skips "required" for fields absent from ``data`` (drafts, partial updates).
    """
    errors: dict[str, list[str]] = {}
    for name in ("title", "abstract", "description", "notes"):
        config = cfp.field_config(name)
        value = (data.get(name) or "").strip() if isinstance(data.get(name, ""), str) else data.get(name)
        if config["visibility"] == "do_not_ask":
            continue
        if not value:
            if config["visibility"] == "required" and not (partial and name not in data):
                errors[name] = [_("This field is required.")]
            continue
        if config.get("max_length") and len(value) > int(config["max_length"]):
            errors[name] = [
                _("Please use at most %(max)s characters (you used %(used)s).")
                % {"max": config["max_length"], "used": len(value)}
            ]
        if config.get("min_length") and len(value) < int(config["min_length"]):
            errors[name] = [_("Please use at least %(min)s characters.") % {"min": config["min_length"]}]
    for name in ("track", "duration", "content_locale", "image"):
        if cfp.requires(name) and not data.get(name) and not (partial and name not in data):
            errors[name] = [_("This field is required.")]
    if isinstance(data.get("image"), str) and data["image"]:
        # A name instead of a file could point at any stored file; uploads come as files.
        errors["image"] = [_("Upload the file again.")]
    if data.get("duration") is not None and data.get("duration") != "":
        try:
            if int(data["duration"]) <= 0 or int(data["duration"]) > 24 * 60:
                raise ValueError
        except (TypeError, ValueError):
            errors["duration"] = [_("Enter a duration in minutes between 1 and 1440.")]
    event = cfp.event
    if data.get("content_locale") and data["content_locale"] not in event.active_locales:
        errors["content_locale"] = [_("This language is not offered.")]
    if isinstance(data.get("track"), Track) and data["track"].event_id != event.pk:
        errors["track"] = [_("Unknown track.")]
    stype = data.get("submission_type")
    if isinstance(stype, SubmissionType) and stype.event_id != event.pk:
        errors["submission_type"] = [_("Unknown session type.")]
    if errors:
        raise ValidationError(errors)


def access_code_redeem(*, event: Event, code: str) -> AccessCode:
    """Count one use of an access code (row-locked), refusing expired or used-up codes."""
    with transaction.atomic():
        access_code = AccessCode.objects.select_for_update().filter(event=event, code=code).first()
        if access_code is None or not access_code.is_valid():
            raise ValidationError({"access_code": [_("This access code is not valid (any more).")]})
        AccessCode.objects.filter(pk=access_code.pk).update(redeemed=F("redeemed") + 1)
        access_code.redeemed += 1
    return access_code


def access_code_save(
    *,
    event: Event,
    data: dict[str, Any],
    access_code: AccessCode | None = None,
    actor: Actor = None,
) -> AccessCode:
    """Create or change an access code; ``submission_types``/``tracks`` limit what it opens."""
    with transaction.atomic():
        access_code = access_code or AccessCode(event=event)
        for key in ("code", "valid_until", "maximum_uses"):
            if key in data:
                setattr(access_code, key, data[key])
        if AccessCode.objects.filter(event=event, code=access_code.code).exclude(pk=access_code.pk).exists():
            raise ValidationError({"code": [_("This code is already in use.")]})
        access_code.save()
        if "submission_types" in data:
            access_code.submission_types.set(data["submission_types"])
        if "tracks" in data:
            access_code.tracks.set(data["tracks"])
        log_action(
            action="eventyay_talk.access_code.saved",
            organizer=event.organizer,
            event=event,
            obj=access_code,
            actor=actor,
            data={"code": access_code.code},
        )
    return access_code


class DraftUpload(TypedDict):
    """A file the CfP form keeps for one draft until the proposal exists (kept in the session)."""

    #: The file's name in the private storage, inside the draft's own folder.
    name: str
    #: The name it was uploaded with, shown to the speaker and used for downloads.
    filename: str


def _draft_uploads(event: Event, draft_id: str) -> str:
    """The private folder of one draft's uploads, named after a keyed digest of the draft's id."""
    digest = salted_hmac("eventyay_talk.draft_uploads", f"{event.pk}:{draft_id}").hexdigest()[:32]
    return f"talk/uploads/{event.pk}/{digest}"


def draft_upload_save(*, event: Event, draft_id: str, upload: File) -> DraftUpload:
    """Keep a file uploaded in the CfP form until the proposal is saved.

    ``draft_id`` is a secret of the visitor's session; only the same ``draft_id`` can later
    name this file (:func:`answers_save`, :func:`draft_upload_open`).
    """
    filename = (upload.name or "").rsplit("/", 1)[-1][:255]
    name = private_storage.save(unguessable_name(_draft_uploads(event, draft_id), filename), upload)
    return {"name": name, "filename": filename}


def _draft_upload_owned(event: Event, draft_id: str | None, reference: Any) -> DraftUpload | None:
    """``reference`` if it names an upload of this very draft, never any other stored file."""
    if not draft_id or not isinstance(reference, Mapping):
        return None
    name, filename = reference.get("name"), reference.get("filename")
    if not isinstance(name, str) or not isinstance(filename, str):
        return None
    folder, _sep, leaf = name.rpartition("/")
    if folder != _draft_uploads(event, draft_id) or leaf in ("", ".", ".."):
        return None
    if not private_storage.exists(name):
        return None
    return {"name": name, "filename": filename[:255] or leaf}


def draft_upload_open(*, event: Event, draft_id: str | None, reference: Any, field: str) -> File:
    """The file of an upload of this draft, opened for reading; the caller closes it.

    Anything that is not an upload of ``draft_id`` is refused as an error of ``field``.
    """
    owned = _draft_upload_owned(event, draft_id, reference)
    if owned is None:
        raise ValidationError({field: [_("Upload the file again.")]})
    return File(private_storage.open(owned["name"], "rb"), name=owned["filename"])


def draft_upload_discard(*, event: Event, draft_id: str | None, reference: Any) -> None:
    """Delete an upload of this draft once the current transaction commits (it was copied)."""
    owned = _draft_upload_owned(event, draft_id, reference)
    if owned is not None:
        transaction.on_commit(lambda: private_storage.delete(owned["name"]))


def _clean_answer(
    question: Question, value: Any, *, event: Event, draft_id: str | None
) -> tuple[str, list[int], Any]:
    """Validate one raw value for ``question``: (text, option ids, file).

    A file is an upload (its original name becomes the text) or a :class:`DraftUpload` of
    ``draft_id``, which gives its storage name; any other name is refused.
    """
    variant = question.variant
    if variant == Question.Variant.FILE:
        if value in (None, "", False):
            return "", [], None
        if isinstance(value, UploadedFile):
            return (value.name or "").rsplit("/", 1)[-1][:255], [], value
        owned = _draft_upload_owned(event, draft_id, value)
        if owned is None:
            raise ValidationError(_("Upload the file again."))
        return owned["filename"], [], owned["name"]
    if variant == Question.Variant.MULTIPLE_CHOICE:
        ids = [int(v) for v in (value or [])]
        valid = {option.pk for option in question.options.all()}
        if set(ids) - valid:
            raise ValidationError(_("Choose from the offered options."))
        return ", ".join(str(o.answer) for o in question.options.all() if o.pk in ids), ids, None
    if variant == Question.Variant.CHOICE:
        if value in (None, ""):
            return "", [], None
        option = next((o for o in question.options.all() if str(o.pk) == str(value)), None)
        if option is None:
            raise ValidationError(_("Choose from the offered options."))
        return str(option.answer), [option.pk], None
    if variant == Question.Variant.BOOLEAN:
        if value in (None, ""):
            return "", [], None
        truthy = value is True or str(value).lower() in ("true", "1", "yes", "on")
        return "True" if truthy else "False", [], None
    if value in (None, ""):
        return "", [], None
    if variant == Question.Variant.NUMBER:
        try:
            return str(Decimal(str(value))), [], None
        except InvalidOperation:
            raise ValidationError(_("Enter a number."))
    if variant == Question.Variant.DATE:
        try:
            return (
                (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat(),
                [],
                None,
            )
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."))
    return str(value), [], None


def answers_save(
    *,
    event: Event,
    target: str,
    values: dict[int, Any],
    submission: Submission | None = None,
    person: User | None = None,
    review: Any = None,
    partial: bool = False,
    draft_id: str | None = None,
) -> list[Answer]:
    """Validate and store answers to the event's active questions of ``target``.

    ``values`` maps question id to the raw value (option ids for choices; for files an upload,
    or a :class:`DraftUpload` of ``draft_id``). No value for a file question keeps the file
    already given. Required questions without an answer are refused unless ``partial`` (drafts).
    """
    questions = list(
        Question.objects.filter(event=event, target=target, active=True).prefetch_related("options")
    )
    owner = {"submission": submission, "person": person, "review": review}
    existing = {
        answer.question_id: answer for answer in Answer.objects.filter(question__in=questions, **owner)
    }
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, tuple[str, list[int], Any]] = {}
    for question in questions:
        raw = values.get(question.pk)
        try:
            text, option_ids, upload = _clean_answer(question, raw, event=event, draft_id=draft_id)
        except ValidationError as exc:
            errors[f"question_{question.pk}"] = exc.messages
            continue
        kept_file = question.pk in existing and bool(existing[question.pk].answer_file)
        if question.required and not (text or option_ids or upload or kept_file) and not partial:
            errors[f"question_{question.pk}"] = [_("This question is required.")]
            continue
        cleaned[question.pk] = (text, option_ids, upload)
    if errors:
        raise ValidationError(errors)
    saved = []
    with transaction.atomic():
        for question in questions:
            if question.pk not in cleaned:
                continue
            text, option_ids, upload = cleaned[question.pk]
            answer = existing.get(question.pk)
            if not (text or option_ids or upload):
                if answer is not None and question.variant != Question.Variant.FILE:
                    answer.delete()
                continue
            answer = answer or Answer(question=question, **owner)
            answer.answer = text
            if isinstance(upload, str):
                answer.answer_file.name = upload
            elif upload is not None:
                answer.answer_file = upload
            answer.save()
            answer.options.set(option_ids)
            saved.append(answer)
    return saved
