"""Proposals: creating and editing them, the state machine, queued decisions and co-speakers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from eventyay.base.models import Event, User
from eventyay.base.plugins.manager import hooks_for, notify
from eventyay.base.services.log import Actor, changes, log_action
from eventyay.base.services.webhooks import webhook_emit
from eventyay_talk.models import (
    MailTemplate,
    SpeakerProfile,
    Submission,
    SubmissionInvitation,
    SubmissionStates,
    SubmissionType,
    TalkSlot,
    Track,
)
from eventyay_talk.models.codes import generate_unique_code
from eventyay_talk.services.cfp import submission_data_validate
from eventyay_talk.services.mails import talk_mail_queue

S = SubmissionStates

#: Every allowed state change; anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.WITHDRAWN}),
    S.REJECTED: frozenset({S.ACCEPTED, S.SUBMITTED}),
    S.ACCEPTED: frozenset({S.CONFIRMED, S.CANCELED, S.REJECTED, S.SUBMITTED, S.WITHDRAWN}),
    S.CONFIRMED: frozenset({S.ACCEPTED, S.CANCELED}),
    S.CANCELED: frozenset({S.ACCEPTED, S.CONFIRMED}),
    S.WITHDRAWN: frozenset({S.SUBMITTED}),
}
#: The changes a speaker may make to their own proposal (organizers may make all of the above).
SPEAKER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.CONFIRMED, S.WITHDRAWN}),
}
#: States whose talks belong in the work-in-progress schedule.
SCHEDULABLE_STATES = frozenset({S.ACCEPTED, S.CONFIRMED, S.CANCELED})
MAIL_ON_STATE: dict[str, MailTemplate.Role] = {
    S.ACCEPTED: MailTemplate.Role.ACCEPTED,
    S.REJECTED: MailTemplate.Role.REJECTED,
}
EDITABLE_FIELDS = (
    "title",
    "abstract",
    "description",
    "notes",
    "internal_notes",
    "duration",
    "track",
    "submission_type",
    "content_locale",
    "image",
)


def submission_snapshot(submission: Submission) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in EDITABLE_FIELDS:
        value = getattr(submission, field if field not in ("track", "submission_type") else f"{field}_id")
        if field == "image":
            value = value.name if value else ""
        data[field] = value
    return data


def _check_type_and_track(event: Event, data: dict[str, Any]) -> None:
    lookups: tuple[tuple[str, type[Track] | type[SubmissionType]], ...] = (
        ("track", Track),
        ("submission_type", SubmissionType),
    )
    for key, model in lookups:
        value = data.get(key)
        if value is not None and not isinstance(value, model):
            found = model.objects.filter(event=event, pk=value).first()
            if found is None:
                raise ValidationError({key: [_("Unknown choice.")]})
            data[key] = found


def submission_create(
    *,
    event: Event,
    speaker: User,
    data: dict[str, Any],
    submit: bool = True,
    access_code: Any = None,
    actor: Actor = None,
    send_mail: bool = True,
) -> Submission:
    """Create a proposal with ``speaker`` as its first speaker, as draft or submitted.

    Submitting queues the "proposal received" mail unless ``send_mail`` is false.

    Field rules of the CfP apply in full when submitting and partially for drafts. Deadlines
    are the caller's business (see :func:`eventyay_talk.selectors.cfp_is_open`), so organizers
    can add proposals at any time.
    """
    from eventyay_talk.selectors import cfp_of

    data = dict(data)
    _check_type_and_track(event, data)
    if data.get("submission_type") is None:
        data["submission_type"] = SubmissionType.objects.filter(event=event).first()
        if data["submission_type"] is None:
            raise ValidationError({"submission_type": [_("This event offers no session types yet.")]})
    submission_data_validate(cfp=cfp_of(event), data=data, partial=not submit)
    with transaction.atomic():
        submission = Submission(
            event=event,
            code=generate_unique_code(Submission, event=event),
            state=S.DRAFT,
            access_code=access_code,
            content_locale=data.get("content_locale") or event.locale,
        )
        for field in EDITABLE_FIELDS:
            if field in data and field != "content_locale" and data[field] is not None:
                setattr(submission, field, data[field])
        submission.save()
        submission.speakers.add(speaker)
        SpeakerProfile.objects.get_or_create(
            event=event, user=speaker, defaults={"code": generate_unique_code(SpeakerProfile, event=event)}
        )
        log_action(
            action="eventyay_talk.submission.created",
            organizer=event.organizer,
            event=event,
            obj=submission,
            actor=actor or speaker,
            data={"code": submission.code, "after": submission_snapshot(submission)},
        )
        if submit:
            submission_state_change(
                submission=submission, new_state=S.SUBMITTED, actor=actor or speaker, send_mail=send_mail
            )
    return submission


def submission_update(
    *, submission: Submission, data: dict[str, Any], actor: Actor = None, by_speaker: bool = False
) -> Submission:
    """Change a proposal's fields. Speakers may only change it while editing is allowed."""
    from eventyay_talk.selectors import cfp_of, speaker_can_edit

    if by_speaker and not speaker_can_edit(submission):
        raise ValidationError(_("This proposal can no longer be changed."))
    event = submission.event
    data = {
        k: v for k, v in data.items() if k in EDITABLE_FIELDS and not (by_speaker and k == "internal_notes")
    }
    _check_type_and_track(event, data)
    submission_data_validate(cfp=cfp_of(event), data=data, partial=True)
    before = submission_snapshot(submission)
    with transaction.atomic():
        for field, value in data.items():
            setattr(submission, field, value)
        submission.save()
        diff = changes(before, submission_snapshot(submission))
        if diff["after"]:
            log_action(
                action="eventyay_talk.submission.changed",
                organizer=event.organizer,
                event=event,
                obj=submission,
                actor=actor,
                data=diff,
            )
            webhook_emit(event=event, action="submission.changed", object_id=submission.code, data=diff)
    return submission


def _speaker_mail_context(submission: Submission, user: User) -> dict[str, Any]:
    event = submission.event
    url = reverse(
        "plugins:talk:speaker.submission",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, "code": submission.code},
    )
    return {
        "speaker_name": user.get_full_name(),
        "submission_title": submission.title,
        "submission_code": submission.code,
        "submission_url": settings.SITE_URL + url,
        "confirm_url": settings.SITE_URL + url,
    }


def submission_state_change(
    *, submission: Submission, new_state: str, actor: Actor = None, send_mail: bool = True
) -> Submission:
    """Move a proposal to ``new_state``: the one place where states change.

    Refuses transitions outside :data:`TRANSITIONS` and those a plugin vetoes through
    ``before_submission_state_change``. Writes the audit log, keeps the work-in-progress
    schedule in step, queues the received/acceptance/rejection mail and emits the
    ``submission.state_changed`` webhook; ``submission_state_changed`` runs after commit.
    """
    event = submission.event
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        old_state = locked.state
        if new_state not in S.values:
            raise ValidationError({"state": [_("Unknown state “%s”.") % new_state]})
        if new_state not in TRANSITIONS[old_state]:
            raise ValidationError(
                {
                    "state": [
                        _("A proposal cannot go from “%(old)s” to “%(new)s”.")
                        % {"old": S(old_state).label, "new": S(new_state).label}
                    ]
                }
            )
        if old_state == S.DRAFT and new_state == S.SUBMITTED:
            from eventyay_talk.selectors import cfp_of

            submission_data_validate(cfp=cfp_of(event), data=_validation_data(locked), partial=False)
        for message in hooks_for(event).before_submission_state_change(
            submission=locked, old_state=old_state, new_state=new_state
        ):
            if message:
                raise ValidationError({"state": [str(message)]})
        locked.state = new_state
        locked.pending_state = ""
        locked.save(update_fields=["state", "pending_state", "updated"])
        submission.state = new_state
        submission.pending_state = ""
        _sync_wip_slot(locked)
        log_action(
            action="eventyay_talk.submission.state_changed",
            organizer=event.organizer,
            event=event,
            obj=locked,
            actor=actor,
            data={"before": {"state": old_state}, "after": {"state": new_state}, "code": locked.code},
        )
        webhook_emit(
            event=event,
            action="submission.state_changed",
            object_id=locked.code,
            data={"code": locked.code, "old_state": old_state, "new_state": new_state},
        )
        role = MAIL_ON_STATE.get(new_state)
        if old_state == S.DRAFT and new_state == S.SUBMITTED:
            # Only the first submission is "received"; a withdrawn or rejected proposal put
            # back to "submitted" by the organizers is not news to its speakers.
            role = MailTemplate.Role.RECEIVED
        if send_mail and role is not None:
            for speaker in locked.speakers.all():
                talk_mail_queue(
                    event=event, role=role, to=[speaker.email], context=_speaker_mail_context(locked, speaker)
                )
        enabled = event.enabled_plugin_names
        transaction.on_commit(
            lambda: notify(
                "submission_state_changed",
                enabled=enabled,
                submission=locked,
                old_state=old_state,
                new_state=new_state,
            )
        )
    return submission


def _validation_data(submission: Submission) -> dict[str, Any]:
    data: dict[str, Any] = {
        field: getattr(submission, field)
        for field in ("title", "abstract", "description", "notes", "duration")
    }
    data.update(
        track=submission.track,
        content_locale=submission.content_locale,
        image=bool(submission.image),
        submission_type=submission.submission_type,
    )
    return data


def _sync_wip_slot(submission: Submission) -> None:
    """Accepted talks get an (unscheduled) slot in the WIP schedule; dropped ones lose it."""
    from eventyay_talk.services.schedule import wip_schedule

    wip = wip_schedule(event=submission.event)
    slots = TalkSlot.objects.filter(schedule=wip, submission=submission)
    if submission.state in SCHEDULABLE_STATES:
        if not slots.exists():
            TalkSlot.objects.create(schedule=wip, submission=submission, kind=TalkSlot.Kind.TALK)
    else:
        slots.delete()


def submission_decision_queue(*, submission: Submission, state: str, actor: Actor = None) -> Submission:
    """Remember a decision to apply later in bulk (empty ``state`` clears it)."""
    if state and state not in TRANSITIONS[submission.state]:
        raise ValidationError(
            {
                "state": [
                    _("A proposal cannot go from “%(old)s” to “%(new)s”.")
                    % {"old": S(submission.state).label, "new": state}
                ]
            }
        )
    with transaction.atomic():
        submission.pending_state = state
        submission.save(update_fields=["pending_state", "updated"])
        log_action(
            action="eventyay_talk.submission.decision_queued",
            organizer=submission.event.organizer,
            event=submission.event,
            obj=submission,
            actor=actor,
            data={"pending_state": state},
        )
    return submission


def submission_decisions_apply(
    *,
    event: Event,
    actor: Actor = None,
    codes: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Submission], dict[str, list[str]]]:
    """Apply queued decisions (of ``codes`` or all) in one transaction.

    Returns the changed submissions and, per code, why a decision was refused (a veto, or a
    state that changed since it was queued). One refusal does not stop the others: each
    decision has its own savepoint, and the accepted ones commit together (so a crash half-way
    applies none and the mails go out only for a complete run). ``progress(percentage)`` is
    called after each decision.
    """
    queryset = Submission.objects.filter(event=event).exclude(pending_state="").select_related("event")
    if codes is not None:
        queryset = queryset.filter(code__in=list(codes))
    applied: list[Submission] = []
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        submissions = list(queryset.order_by("pk"))
        for done, submission in enumerate(submissions, start=1):
            try:
                with transaction.atomic():
                    submission_state_change(
                        submission=submission, new_state=submission.pending_state, actor=actor
                    )
            except ValidationError as exc:
                errors[submission.code] = exc.messages
            else:
                applied.append(submission)
            if progress is not None:
                progress(min(99, 100 * done // len(submissions)))
    return applied, errors


def submission_speaker_invite(
    *, submission: Submission, email: str, actor: Actor = None
) -> SubmissionInvitation:
    """Invite a co-speaker by mail; they join through the link in it."""
    email = email.strip().lower()
    if submission.speakers.filter(email__iexact=email).exists():
        raise ValidationError({"email": [_("This person already speaks on this proposal.")]})
    event = submission.event
    with transaction.atomic():
        invitation, created = SubmissionInvitation.objects.get_or_create(submission=submission, email=email)
        url = reverse(
            "plugins:talk:invitation.accept",
            kwargs={"organizer": event.organizer.slug, "event": event.slug, "token": invitation.token},
        )
        inviter = actor.get_full_name() if isinstance(actor, User) else str(event.name)
        talk_mail_queue(
            event=event,
            role=MailTemplate.Role.INVITATION,
            to=[email],
            context={
                "submission_title": submission.title,
                "inviter_name": inviter,
                "invitation_url": settings.SITE_URL + url,
            },
            delivery_key=f"talk-invitation-{invitation.pk}-{invitation.token[:8]}",
        )
        if created:
            log_action(
                action="eventyay_talk.submission.speaker_invited",
                organizer=event.organizer,
                event=event,
                obj=submission,
                actor=actor,
                data={"email": email},
            )
    return invitation


def submission_invitation_accept(*, invitation: SubmissionInvitation, user: User) -> Submission:
    """Add ``user`` as a speaker of the invitation's proposal and use up the invitation."""
    submission = invitation.submission
    event = submission.event
    with transaction.atomic():
        submission.speakers.add(user)
        SpeakerProfile.objects.get_or_create(
            event=event, user=user, defaults={"code": generate_unique_code(SpeakerProfile, event=event)}
        )
        log_action(
            action="eventyay_talk.submission.speaker_added",
            organizer=event.organizer,
            event=event,
            obj=submission,
            actor=user,
            data={"email": user.email},
        )
        invitation.delete()
    return submission


def submission_speaker_remove(*, submission: Submission, user: User, actor: Actor = None) -> None:
    if submission.speakers.count() <= 1:
        raise ValidationError(_("A proposal needs at least one speaker."))
    with transaction.atomic():
        submission.speakers.remove(user)
        log_action(
            action="eventyay_talk.submission.speaker_removed",
            organizer=submission.event.organizer,
            event=submission.event,
            obj=submission,
            actor=actor,
            data={"email": user.email},
        )


def speaker_profile_update(
    *, event: Event, user: User, data: dict[str, Any], actor: Actor = None
) -> SpeakerProfile:
    """Change a speaker's public name, biography, avatar and availability at one event."""
    from eventyay_talk.selectors import cfp_of
    from eventyay_talk.services.schedule import availabilities_clean

    cfp = cfp_of(event)
    errors: dict[str, list[str]] = {}
    if "biography" in data:
        biography = (data.get("biography") or "").strip()
        limit = cfp.field_config("biography").get("max_length")
        if cfp.requires("biography") and not biography:
            errors["biography"] = [_("This field is required.")]
        elif limit and len(biography) > int(limit):
            errors["biography"] = [_("Please use at most %s characters.") % limit]
    if cfp.requires("avatar") and "avatar" in data and not data.get("avatar"):
        errors["avatar"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile, _created = SpeakerProfile.objects.get_or_create(
            event=event, user=user, defaults={"code": generate_unique_code(SpeakerProfile, event=event)}
        )
        for field in ("name", "biography"):
            if field in data:
                setattr(profile, field, (data[field] or "").strip())
        if data.get("avatar"):
            profile.avatar = data["avatar"]
        if "availabilities" in data:
            profile.availabilities = availabilities_clean(data["availabilities"])
        profile.save()
        log_action(
            action="eventyay_talk.speaker.changed",
            organizer=event.organizer,
            event=event,
            obj=profile,
            actor=actor or user,
            data={"fields": sorted(data)},
        )
    return profile


def submission_reviewers_assign(
    *, submission: Submission, reviewers: Iterable[User], actor: Actor = None
) -> Submission:
    with transaction.atomic():
        submission.assigned_reviewers.set(list(reviewers))
        log_action(
            action="eventyay_talk.submission.reviewers_assigned",
            organizer=submission.event.organizer,
            event=submission.event,
            obj=submission,
            actor=actor,
            data={"reviewers": sorted(u.email for u in submission.assigned_reviewers.all())},
        )
    return submission
