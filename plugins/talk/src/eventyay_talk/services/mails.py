"""The talk plugin's mails: organizer-editable templates with built-in defaults."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from i18nfield.strings import LazyI18nString

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, log_action
from eventyay.base.services.mail import mail_context, mail_queue, render_mail_template
from eventyay_talk.models import MailTemplate, Submission

#: Built-in subject and text per template role; an organizer's own template replaces them.
DEFAULT_TEMPLATES: dict[str, tuple[Any, Any]] = {
    MailTemplate.Role.RECEIVED: (
        _("We received your proposal “{submission_title}”"),
        _(
            "Hello {speaker_name},\n\nthank you for your proposal “{submission_title}” for {event}. "
            "We will review it and let you know our decision.\n\nUntil the call for papers closes "
            "you can change your proposal here:\n{submission_url}\n\nThe {event} team"
        ),
    ),
    MailTemplate.Role.ACCEPTED: (
        _("Your proposal “{submission_title}” was accepted"),
        _(
            "Hello {speaker_name},\n\nwe are happy to tell you that your proposal "
            "“{submission_title}” for {event} was accepted.\n\nPlease confirm that you will give "
            "the talk here:\n{confirm_url}\n\nSee you at {event}!"
        ),
    ),
    MailTemplate.Role.REJECTED: (
        _("Your proposal “{submission_title}”"),
        _(
            "Hello {speaker_name},\n\nthank you for your proposal “{submission_title}” for "
            "{event}. We are sorry to tell you that we could not include it in the programme "
            "this time.\n\nWe hope to see you at {event} anyway."
        ),
    ),
    MailTemplate.Role.INVITATION: (
        _("You have been invited to speak at {event}"),
        _(
            "Hello,\n\n{inviter_name} invites you to join the proposal “{submission_title}” for "
            "{event} as a speaker.\n\nAccept the invitation here:\n{invitation_url}\n"
        ),
    ),
    MailTemplate.Role.SCHEDULE_UPDATE: (
        _("New schedule for {event}"),
        _(
            "Hello {speaker_name},\n\nthe schedule of {event} was published as version "
            "“{schedule_version}”. Your talks:\n\n{talks}\n\nSchedule: {schedule_url}"
        ),
    ),
}


#: The placeholders each mail offers beyond the core ones (``mail_context``), with what they hold.
ROLE_PLACEHOLDERS: dict[str, dict[str, Any]] = {
    MailTemplate.Role.RECEIVED: {
        "speaker_name": _("the speaker's name"),
        "submission_title": _("the proposal's title"),
        "submission_code": _("the proposal's code"),
        "submission_url": _("the proposal in the speaker area"),
    },
    MailTemplate.Role.ACCEPTED: {
        "speaker_name": _("the speaker's name"),
        "submission_title": _("the proposal's title"),
        "submission_code": _("the proposal's code"),
        "submission_url": _("the proposal in the speaker area"),
        "confirm_url": _("where the speaker confirms the talk"),
    },
    MailTemplate.Role.REJECTED: {
        "speaker_name": _("the speaker's name"),
        "submission_title": _("the proposal's title"),
        "submission_code": _("the proposal's code"),
        "submission_url": _("the proposal in the speaker area"),
    },
    MailTemplate.Role.INVITATION: {
        "submission_title": _("the proposal's title"),
        "inviter_name": _("who sent the invitation"),
        "invitation_url": _("where the invitation is accepted"),
    },
    MailTemplate.Role.SCHEDULE_UPDATE: {
        "speaker_name": _("the speaker's name"),
        "schedule_version": _("the released version's name"),
        "talks": _("the speaker's talks with times and rooms, one a line"),
        "schedule_url": _("the public schedule"),
    },
}


def mail_placeholders(*, event: Event, role: str) -> dict[str, str]:
    """Every placeholder the ``role`` mail may use: the core's (and other plugins') and its own."""
    core = {name: str(_("offered by eventyay or a plugin")) for name in mail_context(event=event)}
    core.update(
        site_url=str(_("the address of this site")),
        organizer=str(_("the organizer's name")),
        event=str(_("the event's name")),
        event_url=str(_("the event's front page")),
    )
    return {**core, **{name: str(text) for name, text in ROLE_PLACEHOLDERS[role].items()}}


def template_placeholders(text: str) -> set[str]:
    """The ``{names}`` used in ``text``; ValidationError for broken braces."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValidationError(_("Use single braces around a placeholder, such as {event}."))
    return {name for _literal, name, _spec, _conversion in parsed if name is not None}


def mail_template_validate(*, event: Event, role: str, subject: dict[str, str], text: dict[str, str]) -> None:
    """Refuse unknown placeholders (naming them) in any language of subject or text."""
    known = set(mail_placeholders(event=event, role=role))
    errors: dict[str, list[str]] = {}
    for field, values in (("subject", subject), ("text", text)):
        unknown: set[str] = set()
        for value in values.values():
            try:
                unknown |= template_placeholders(value or "") - known
            except ValidationError as error:
                errors.setdefault(field, []).extend(error.messages)
        if unknown:
            errors.setdefault(field, []).append(
                _("Unknown placeholders: %s") % ", ".join("{" + name + "}" for name in sorted(unknown))
            )
    if errors:
        raise ValidationError(errors)


def mail_template_stored(*, event: Event, role: str) -> tuple[LazyI18nString, LazyI18nString, bool]:
    """Subject, text (all languages) and whether the organizer changed them from the default."""
    template = MailTemplate.objects.filter(event=event, role=role).first()
    if template is not None:
        return template.subject, template.text, True
    subject, text = DEFAULT_TEMPLATES[role]

    def in_every_language(value: Any) -> LazyI18nString:
        translated = {}
        for language in event.active_locales:
            with translation.override(language):
                translated[language] = str(value)
        return LazyI18nString(translated)

    return in_every_language(subject), in_every_language(text), False


def mail_preview(
    *, event: Event, role: str, subject: str, text: str, submission: Submission | None
) -> tuple[str, str]:
    """``subject`` and ``text`` rendered with a sample proposal (or made-up values)."""
    from eventyay_talk.services.submissions import _speaker_mail_context

    context = {**mail_context(event=event)}
    context.update({name: f"[{name}]" for name in ROLE_PLACEHOLDERS[role]})
    if submission is not None:
        speaker = submission.speakers.first()
        if speaker is not None:
            context.update(_speaker_mail_context(submission, speaker))
        context.update(submission_title=submission.title, submission_code=submission.code)
    return render_mail_template(subject, context), render_mail_template(text, context)


def mail_template_for(*, event: Event, role: str) -> tuple[str, str]:
    """Subject and text for ``role`` in the event's language: the organizer's, else the default."""
    template = MailTemplate.objects.filter(event=event, role=role).first()
    if template is not None:
        return str(template.subject), str(template.text)
    subject, text = DEFAULT_TEMPLATES[role]
    return str(subject), str(text)


def mail_template_update(
    *, event: Event, role: str, subject: dict[str, str] | str, text: dict[str, str] | str, actor: Actor = None
) -> MailTemplate:
    """Store the organizer's own version of a mail (i18n dicts or plain strings)."""
    if role not in MailTemplate.Role.values:
        raise ValidationError({"role": [_("Unknown mail template.")]})
    subjects = subject if isinstance(subject, dict) else {"": subject}
    texts = text if isinstance(text, dict) else {"": text}
    mail_template_validate(event=event, role=role, subject=subjects, text=texts)
    with transaction.atomic():
        template, _created = MailTemplate.objects.update_or_create(
            event=event,
            role=role,
            defaults={"subject": LazyI18nString(subject), "text": LazyI18nString(text)},
        )
        log_action(
            action="eventyay_talk.mail_template.changed",
            organizer=event.organizer,
            event=event,
            obj=template,
            actor=actor,
            data={"role": role},
        )
    return template


def talk_mail_queue(
    *, event: Event, role: str, to: list[str], context: dict[str, Any], delivery_key: str | None = None
) -> None:
    """Render the ``role`` template with core placeholders plus ``context`` and queue it."""
    subject, text = mail_template_for(event=event, role=role)
    full_context = {**mail_context(event=event), **context}
    mail_queue(
        event=event,
        to=to,
        subject=render_mail_template(subject, full_context),
        body=render_mail_template(text, full_context),
        delivery_key=delivery_key,
    )
