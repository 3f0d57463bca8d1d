"""Attendees among themselves: profiles, direct messages, blocking and reports to moderators.

Direct messages are opt-in: two users may talk in private only when both accept direct
messages and neither blocked the other. Users are known to this module by their profile, so
a user who never saved one cannot be messaged, and every lookup is limited to the event: users
of another event cannot be found, messaged or reported.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, log_action
from eventyay_video import realtime, selectors, services
from eventyay_video.models import (
    ChatChannel,
    ChatMessage,
    Restriction,
    UserBlock,
    UserProfile,
    UserReport,
)
from eventyay_video.services import VideoError, ensure_may_write, message_in
from eventyay_video.tokens import VideoUser

PROFILE_FIELDS = {"display_name": 100, "avatar_url": 500, "bio": 500}
REPORT_REASON_MAX_LENGTH = 1000


# --- profiles ------------------------------------------------------------------------------------


def profile_dict(profile: UserProfile) -> dict[str, Any]:
    """The public view of a profile (venueless's ``{"id", "profile"}`` shape)."""
    return {
        "id": profile.uid,
        "profile": {
            "display_name": profile.display_name,
            "avatar_url": profile.avatar_url,
            "bio": profile.bio,
        },
        "accepts_direct_messages": profile.accepts_direct_messages,
    }


def profile_of(*, event: Event, user: VideoUser) -> dict[str, Any]:
    """The user's own profile; before they saved one, the name from their token."""
    profile = UserProfile.objects.filter(event=event, uid=user.uid).first()
    return profile_dict(profile or UserProfile(event=event, uid=user.uid, display_name=user.name[:100]))


def profiles_fetch(*, event: Event, uids: Any) -> dict[str, dict[str, Any]]:
    """Several users' profiles by uid (at most 100, one query), as venueless's ``ids`` lookup."""
    if not isinstance(uids, list) or not all(isinstance(uid, str) for uid in uids):
        raise VideoError("user.invalid", "ids")
    profiles = UserProfile.objects.filter(event=event, uid__in=uids[:100])
    return {profile.uid: profile_dict(profile) for profile in profiles}


def profile_fetch(*, event: Event, uid: Any) -> dict[str, Any]:
    if not isinstance(uid, str) or not uid:
        raise VideoError("user.not_found")
    profile = UserProfile.objects.filter(event=event, uid=uid).first()
    if profile is None:
        raise VideoError("user.not_found")
    return profile_dict(profile)


def _clean_profile(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        raise VideoError("user.invalid", "profile")
    cleaned: dict[str, str] = {}
    for field, max_length in PROFILE_FIELDS.items():
        if field not in data:
            continue
        value = data[field] if data[field] is not None else ""
        if not isinstance(value, str) or len(value) > max_length:
            raise VideoError("user.invalid", field)
        cleaned[field] = value.strip()
    if "display_name" in cleaned and not cleaned["display_name"]:
        raise VideoError("user.invalid", "display_name")
    if cleaned.get("avatar_url"):
        try:
            URLValidator(schemes=["https", "http"])(cleaned["avatar_url"])
        except ValidationError:
            raise VideoError("user.invalid", "avatar_url")
    return cleaned


def profile_update(
    *, event: Event, user: VideoUser, profile: Any = None, accepts_direct_messages: Any = None
) -> UserProfile:
    """Change the user's profile fields that are given, and their direct-message opt-in."""
    changes = _clean_profile(profile if profile is not None else {})
    if accepts_direct_messages is not None and not isinstance(accepts_direct_messages, bool):
        raise VideoError("user.invalid", "accepts_direct_messages")
    with transaction.atomic():
        record, _created = UserProfile.objects.select_for_update().get_or_create(
            event=event, uid=user.uid, defaults={"display_name": user.name[:100]}
        )
        for field, value in changes.items():
            setattr(record, field, value)
        if accepts_direct_messages is not None:
            record.accepts_direct_messages = accepts_direct_messages
        record.save()
    return record


def as_profile_name(*, event: Event, user: VideoUser) -> VideoUser:
    """``user`` under their profile's display name when they set one (one query), else as is.

    Chat messages are stored under this name, so that a rename shows in the messages sent
    after it.
    """
    name = (
        UserProfile.objects.filter(event=event, uid=user.uid)
        .exclude(display_name="")
        .values_list("display_name", flat=True)
        .first()
    )
    return dataclasses.replace(user, name=name) if name and name != user.name else user


def messages_with_profile_names(*, event: Event, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set the sender name of message dicts to their senders' display names where they set one.

    One query for the whole page, however many messages and senders it holds.
    """
    uids = {message["sender"]["uid"] for message in messages}
    if not uids:
        return messages
    names = dict(
        UserProfile.objects.filter(event=event, uid__in=uids)
        .exclude(display_name="")
        .values_list("uid", "display_name")
    )
    for message in messages:
        sender = message["sender"]
        name = names.get(sender["uid"])
        if name:
            message["sender"] = {**sender, "name": name}
    return messages


# --- blocking ------------------------------------------------------------------------------------


def _other_uid(user: VideoUser, uid: Any, *, self_code: str) -> str:
    """``uid`` when it may name another user; ``self_code`` when it is the caller's own."""
    if not isinstance(uid, str) or not uid.strip() or len(uid) > 200:
        raise VideoError("user.not_found")
    if uid == user.uid:
        raise VideoError(self_code)
    return uid


def user_block(*, event: Event, user: VideoUser, uid: Any) -> None:
    """Block ``uid``: from now on neither can send the other a direct message."""
    blocked = _other_uid(user, uid, self_code="user.block.self")
    try:
        with transaction.atomic():
            UserBlock.objects.create(event=event, uid=user.uid, blocked_uid=blocked)
    except IntegrityError:
        return  # already blocked


def user_unblock(*, event: Event, user: VideoUser, uid: Any) -> None:
    UserBlock.objects.filter(
        event=event, uid=user.uid, blocked_uid=_other_uid(user, uid, self_code="user.unblock.self")
    ).delete()


def blocked_users(*, event: Event, user: VideoUser) -> list[dict[str, Any]]:
    """The users ``user`` blocked, in the order blocked, with their profiles (two queries)."""
    uids = list(
        UserBlock.objects.filter(event=event, uid=user.uid)
        .order_by("pk")
        .values_list("blocked_uid", flat=True)
    )
    profiles = {p.uid: p for p in UserProfile.objects.filter(event=event, uid__in=uids)}
    return [profile_dict(profiles.get(uid) or UserProfile(event=event, uid=uid)) for uid in uids]


# --- direct messages -----------------------------------------------------------------------------


def direct_channel_dict(channel: ChatChannel) -> dict[str, Any]:
    return {"id": channel.pk, "members": [channel.direct_first, channel.direct_second]}


def direct_channel_of(*, event: Event, channel_id: int, uid: str) -> ChatChannel | None:
    """The direct-message channel ``channel_id`` of the event, if ``uid`` is one of its two members."""
    return (
        ChatChannel.objects.filter(event=event, pk=channel_id, room__isnull=True)
        .filter(Q(direct_first=uid) | Q(direct_second=uid))
        .exclude(direct_first="")
        .first()
    )


def direct_channels(*, event: Event, user: VideoUser) -> list[dict[str, Any]]:
    channels = ChatChannel.objects.filter(event=event, room__isnull=True).filter(
        Q(direct_first=user.uid) | Q(direct_second=user.uid)
    )
    return [direct_channel_dict(channel) for channel in channels.exclude(direct_first="").order_by("pk")]


def direct_channel_open(*, event: Event, user: VideoUser, users: Any) -> ChatChannel:
    """The direct-message channel between the user and one other user, created on first use.

    The user must accept direct messages themselves (so that the other one can answer); the
    other user must accept them and neither may have blocked the other. Every refusal about
    the other user gives the same error, so that nobody learns who blocked them.
    """
    if not isinstance(users, list) or len(users) != 1:
        raise VideoError("chat.direct.invalid", "users")
    other = _other_uid(user, users[0], self_code="chat.direct.invalid")
    ensure_may_write(event=event, user=user)
    own = UserProfile.objects.filter(event=event, uid=user.uid, accepts_direct_messages=True).exists()
    if not own:
        raise VideoError("chat.direct.opt_in_required")
    if not selectors.direct_messages_allowed(event=event, uids=(user.uid, other)):
        raise VideoError("chat.denied")
    first, second = sorted((user.uid, other))
    try:
        with transaction.atomic():
            channel, _created = ChatChannel.objects.get_or_create(
                event=event, room=None, direct_first=first, direct_second=second
            )
    except IntegrityError:  # the other user opened it at the same moment
        channel = ChatChannel.objects.get(event=event, direct_first=first, direct_second=second)
    return channel


# --- reports -------------------------------------------------------------------------------------


def report_dict(report: UserReport) -> dict[str, Any]:
    message = report.message
    return {
        "id": report.pk,
        "reporter": report.reporter_uid,
        "reported": report.reported_uid,
        "reason": report.reason,
        "message": selectors.message_dict(message) if message is not None else None,
        "created": report.created.isoformat(),
    }


def user_report(
    *,
    event: Event,
    user: VideoUser,
    uid: Any,
    reason: Any,
    channel: ChatChannel | None = None,
    message_id: Any = None,
) -> UserReport:
    """Report a user (optionally one of their messages in ``channel``) to the event's moderators.

    Moderators with an open socket get a ``user.reported`` frame after commit.
    """
    reported = _other_uid(user, uid, self_code="user.report.self")
    if not isinstance(reason, str) or not reason.strip():
        raise VideoError("user.invalid", "reason")
    if len(reason) > REPORT_REASON_MAX_LENGTH:
        raise VideoError("user.invalid", "reason")
    message: ChatMessage | None = None
    if channel is not None:
        message = message_in(channel, message_id)
        if message.sender_uid != reported:
            raise VideoError("chat.unknown_message")
    with transaction.atomic():
        report = UserReport.objects.create(
            event=event, reporter_uid=user.uid, reported_uid=reported, reason=reason.strip(), message=message
        )
        realtime.publish(realtime.moderator_group(event.pk), "user.reported", report_dict(report))
    return report


def reports_open(*, event: Event, limit: int = 100) -> list[dict[str, Any]]:
    reports = UserReport.objects.filter(event=event, status=UserReport.Status.OPEN).select_related("message")[
        :limit
    ]
    return [report_dict(report) for report in reports]


def report_handle(
    *, event: Event, report_id: Any, status: str, by: str, actor: Actor = None, ban: bool = False
) -> UserReport:
    """Dismiss or resolve an open report (``status``); with ``ban`` also ban the reported user.

    A report handled meanwhile (by another team member) raises ``ValidationError``.
    """
    if status not in (UserReport.Status.DISMISSED, UserReport.Status.RESOLVED):
        raise ValidationError({"status": [_("Unknown status.")]})
    with transaction.atomic():
        report = UserReport.objects.select_for_update().filter(event=event, pk=report_id).first()
        if report is None:
            raise UserReport.DoesNotExist()
        if report.status != UserReport.Status.OPEN:
            raise ValidationError(_("This report has already been handled."))
        if ban:
            services.restriction_set(
                event=event, uid=report.reported_uid, kind=Restriction.Kind.BAN, by=by, actor=actor
            )
        report.status = status
        report.handled = timezone.now()
        report.handled_by = by[:200]
        report.save(update_fields=["status", "handled", "handled_by"])
        log_action(
            action=f"eventyay_video.report.{status}",
            organizer=event.organizer,
            event=event,
            obj=report,
            actor=actor,
            data={"reported": report.reported_uid, "reporter": report.reporter_uid, "ban": ban},
        )
    return report


def report_names(*, event: Event, reports: list[UserReport]) -> dict[str, str]:
    """Display names of the reporters and reported users of ``reports`` (one query)."""
    uids = {r.reporter_uid for r in reports} | {r.reported_uid for r in reports}
    if not uids:
        return {}
    return dict(
        UserProfile.objects.filter(event=event, uid__in=uids)
        .exclude(display_name="")
        .values_list("uid", "display_name")
    )
