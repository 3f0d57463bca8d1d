"""The online exhibition and poster hall: exhibitors with booths, contact requests, posters, votes.

An exhibitor's booth is a :class:`~eventyay_video.models.Room` (its chat, call and modules work
like any room's); the moderators of that room are the exhibitor's staff. Attendees ask the staff
for contact; accepted requests are the exhibitor's leads. A poster has a discussion channel of
no room and takes one vote per attendee.

Broadcasts (after commit): ``exhibition.contact_request`` to the exhibitor's staff group and to
the requester's own group, ``poster.updated`` to the poster's room group and to the hall group
of that room (sockets that listed its posters; to the event's group for posters outside a
room), ``user.rights.changed`` to the user's sockets when they join or leave a booth's staff.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, log_action
from eventyay_video import realtime, services
from eventyay_video.auth_state import event_state
from eventyay_video.models import (
    ChatChannel,
    ContactRequest,
    Exhibitor,
    Moderator,
    Module,
    Poster,
    PosterVote,
    Restriction,
    Room,
)
from eventyay_video.services import VideoError
from eventyay_video.tokens import VideoUser

MAX_LINKS = 10
CONTACT_MESSAGE_MAX_LENGTH = 500
POSTER_PDF_MAX_BYTES = 20 * 1024 * 1024
#: Seconds a poster's PDF link handed to an attendee stays valid.
POSTER_PDF_LINK_AGE = 3600
_PDF_SALT = "eventyay_video.poster-pdf"
_EXHIBITOR_FIELDS = ("name", "short_text", "text", "logo_url", "call_url", "order")
_POSTER_FIELDS = ("title", "abstract", "category", "order")


# --- groups --------------------------------------------------------------------------------------


def staff_group(exhibitor_id: int) -> str:
    return f"video.exhibition.staff.{exhibitor_id}"


def visitor_group(event_id: int, uid: str) -> str:
    """The group of one user's sockets; uids may hold characters group names may not."""
    return f"video.exhibition.visitor.{event_id}.{hashlib.sha256(uid.encode()).hexdigest()[:40]}"


def poster_hall_group(room_id: int) -> str:
    """Sockets that listed the posters of the room (the poster hall view), inside it or not."""
    return f"video.posters.{room_id}"


def poster_groups(poster: Poster) -> list[str]:
    """Where a poster's vote count goes: its room and the room's hall viewers (everyone for no room)."""
    if poster.room_id is None:
        return [realtime.event_group(poster.event_id)]
    return [realtime.room_group(poster.room_id), poster_hall_group(poster.room_id)]


#: The frame that makes a socket reload its user's moderation (and so booth staff) rights.
RIGHTS_FRAME = "user.rights.changed"


def rights_changed(*, event_id: int, uid: str) -> None:
    """Tell every socket of ``uid`` to reload its rights, after commit (after the state's bump)."""
    realtime.publish(realtime.user_group(event_id, uid), RIGHTS_FRAME, {})


# --- reads ---------------------------------------------------------------------------------------


def exhibitors_visible(*, event: Event, room_ids: Collection[int]) -> QuerySet[Exhibitor]:
    """Exhibitors whose booth the user may enter (those without a booth are open to everyone)."""
    return (
        Exhibitor.objects.filter(event=event)
        .filter(Q(room__isnull=True) | Q(room_id__in=list(room_ids)))
        .select_related("room__channel")
    )


def exhibitor_logo(exhibitor: Exhibitor) -> str:
    return exhibitor.logo.url if exhibitor.logo else exhibitor.logo_url


def exhibitor_dict(exhibitor: Exhibitor, *, full: bool = False, staff: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": exhibitor.pk,
        "name": exhibitor.name,
        "short_text": exhibitor.short_text,
        "logo": exhibitor_logo(exhibitor),
        "room": exhibitor.room_id,
    }
    if full:
        data.update(
            text=exhibitor.text,
            links=list(exhibitor.links),
            social=list(exhibitor.social),
            has_call=bool(exhibitor.call_url),
            staff=[
                {"uid": m.uid, "name": m.name or m.uid}
                for m in Moderator.objects.filter(room_id=exhibitor.room_id).order_by("pk")
            ]
            if exhibitor.room_id
            else [],
        )
        if staff:
            data["call_url"] = exhibitor.call_url
    return data


def contact_request_dict(request: ContactRequest, *, with_call: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": request.pk,
        "exhibitor": request.exhibitor_id,
        "user": {"uid": request.uid, "name": request.name},
        "message": request.message,
        "state": request.state,
        "created": request.created.isoformat(),
        "answered": request.answered.isoformat() if request.answered else None,
        "answered_by": request.answered_by_name or None,
    }
    if with_call and request.state == ContactRequest.State.ACCEPTED:
        exhibitor = request.exhibitor
        data["call_url"] = exhibitor.call_url
        data["room"] = exhibitor.room_id
    return data


def contact_requests_of(*, exhibitor: Exhibitor, uid: str | None = None) -> list[ContactRequest]:
    """The exhibitor's requests (only ``uid``'s when given), newest first."""
    queryset = ContactRequest.objects.filter(exhibitor=exhibitor).select_related("exhibitor")
    if uid is not None:
        queryset = queryset.filter(uid=uid)
    return list(queryset[:200])


def leads(*, event: Event, exhibitor: Exhibitor | None = None) -> QuerySet[ContactRequest]:
    """Accepted contact requests, per exhibitor in the order they were answered."""
    queryset = ContactRequest.objects.filter(
        exhibitor__event=event, state=ContactRequest.State.ACCEPTED
    ).select_related("exhibitor")
    if exhibitor is not None:
        queryset = queryset.filter(exhibitor=exhibitor)
    return queryset.order_by("exhibitor__name", "exhibitor_id", "answered", "pk")


#: Columns of the leads export, in the order of :func:`lead_rows`' cells.
LEAD_COLUMNS = (
    ("exhibitor", gettext_lazy("Exhibitor")),
    ("uid", gettext_lazy("User id")),
    ("name", gettext_lazy("Name")),
    ("message", gettext_lazy("Message")),
    ("requested", gettext_lazy("Requested")),
    ("accepted", gettext_lazy("Accepted")),
    ("accepted_by", gettext_lazy("Accepted by")),
)


def lead_rows(requests: Iterable[ContactRequest]) -> Iterable[Sequence[Any]]:
    for request in requests:
        yield [
            request.exhibitor.name,
            request.uid,
            request.name,
            request.message,
            request.created.isoformat(),
            request.answered.isoformat() if request.answered else "",
            request.answered_by_name or request.answered_by,
        ]


def posters_visible(
    *, event: Event, room_ids: Collection[int], uid: str = "", category: str | None = None
) -> QuerySet[Poster]:
    """Posters in the rooms the user may enter (and those in no room), with votes counted."""
    queryset = (
        Poster.objects.filter(event=event)
        .filter(Q(room__isnull=True) | Q(room_id__in=list(room_ids)))
        .annotate(
            vote_count=Count("votes"),
            voted=Exists(PosterVote.objects.filter(poster=OuterRef("pk"), uid=uid)),
        )
    )
    if category:
        queryset = queryset.filter(category=category)
    # Aggregating queries ignore the model's ordering.
    return queryset.order_by("order", "title", "pk")


def poster_categories(*, event: Event, room_ids: Collection[int]) -> list[str]:
    return sorted(
        set(
            Poster.objects.filter(event=event)
            .filter(Q(room__isnull=True) | Q(room_id__in=list(room_ids)))
            .exclude(category="")
            .values_list("category", flat=True)
        )
    )


def poster_pdf_token(poster: Poster) -> str:
    return signing.TimestampSigner(salt=_PDF_SALT).sign(str(poster.pk))


def poster_pdf_token_valid(poster: Poster, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=_PDF_SALT).unsign(token, max_age=POSTER_PDF_LINK_AGE)
    except signing.BadSignature:
        return False
    return value == str(poster.pk)


def poster_dict(poster: Poster, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": poster.pk,
        "title": poster.title,
        "authors": list(poster.authors),
        "category": poster.category,
        "room": poster.room_id,
        "channel": poster.channel_id,
        "votes": getattr(poster, "vote_count", None),
        "voted": bool(getattr(poster, "voted", False)),
        "has_pdf": bool(poster.pdf),
    }
    if full:
        data["abstract"] = poster.abstract
        data["talk"] = talk_of_poster(poster)
        if poster.pdf:
            event = poster.event
            data["pdf_url"] = (
                reverse(
                    "plugins:video:video.poster_pdf",
                    kwargs={"organizer": event.organizer.slug, "event": event.slug, "poster": poster.pk},
                )
                + f"?s={poster_pdf_token(poster)}"
            )
    return data


# --- the talk plugin -----------------------------------------------------------------------------


def _talk_submission(event: Event, code: str) -> Any:
    """The proposal ``code`` of ``event``, when the talk plugin is on there (else None)."""
    if not code or not event.has_plugin("talk"):
        return None
    # The talk plugin is optional: it is imported only for events that have it switched on.
    from eventyay_talk.models import Submission

    return Submission.objects.filter(event=event, code=code).first()


def talk_of_poster(poster: Poster) -> dict[str, Any] | None:
    submission = _talk_submission(poster.event, poster.submission_code)
    if submission is None:
        return None
    return {"code": submission.code, "title": submission.title}


# --- organizer writes ----------------------------------------------------------------------------


def clean_links(value: Any, field: str) -> list[dict[str, str]]:
    """Links as ``[{"label", "url"}]`` from such a list or from lines ``Label | https://...``."""
    if isinstance(value, str):
        items: list[Any] = []
        for line in value.splitlines():
            if not line.strip():
                continue
            label, _sep, url = line.rpartition("|")
            items.append({"label": label.strip(), "url": url.strip()})
        value = items
    if not isinstance(value, list | tuple):
        raise ValidationError({field: [_("Enter one link per line.")]})
    if len(value) > MAX_LINKS:
        raise ValidationError({field: [_("Enter at most %(count)d links.") % {"count": MAX_LINKS}]})
    validate = URLValidator(schemes=["http", "https"])
    cleaned = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ValidationError({field: [_("Enter one link per line.")]})
        url = item["url"].strip()
        try:
            validate(url)
        except ValidationError:
            raise ValidationError({field: [_("“%(url)s” is not a valid web address.") % {"url": url}]})
        label = str(item.get("label") or "").strip()[:100]
        cleaned.append({"label": label or url, "url": url})
    return cleaned


def _room_of(event: Event, room: Any, field: str = "room") -> Room | None:
    if room is None or room == "":
        return None
    if not isinstance(room, Room) or room.event_id != event.pk:
        raise ValidationError({field: [_("Choose a room of this event.")]})
    return room


def _exhibitor_snapshot(exhibitor: Exhibitor) -> dict[str, Any]:
    return {field: getattr(exhibitor, field) for field in _EXHIBITOR_FIELDS} | {"room": exhibitor.room_id}


def exhibitor_save(
    *, event: Event, data: dict[str, Any], exhibitor: Exhibitor | None = None, actor: Actor = None
) -> Exhibitor:
    """Create an exhibitor (with a booth room with chat unless ``data["room"]`` names one) or change it."""
    with transaction.atomic():
        created = exhibitor is None
        if exhibitor is None:
            exhibitor = Exhibitor(event=event)
        for field in _EXHIBITOR_FIELDS:
            if field in data:
                setattr(exhibitor, field, data[field] if data[field] is not None else "")
        for field in ("links", "social"):
            if field in data:
                setattr(exhibitor, field, clean_links(data[field] or [], field))
        if data.get("logo"):
            exhibitor.logo = data["logo"]
        elif data.get("logo_clear"):
            exhibitor.logo = ""  # type: ignore[assignment]
        if "room" in data:
            exhibitor.room = _room_of(event, data["room"])
        exhibitor.full_clean(exclude=["event", "room", "logo"])
        if exhibitor.room is None and created:
            exhibitor.room = services.room_save(event=event, data={"name": exhibitor.name}, actor=actor)
            services.module_save(room=exhibitor.room, kind=Module.Kind.CHAT, config={}, actor=actor)
        if (
            exhibitor.room is not None
            and Exhibitor.objects.filter(room=exhibitor.room).exclude(pk=exhibitor.pk).exists()
        ):
            raise ValidationError({"room": [_("This room is already the booth of another exhibitor.")]})
        exhibitor.save()
        log_action(
            action="eventyay_video.exhibitor.created" if created else "eventyay_video.exhibitor.changed",
            organizer=event.organizer,
            event=event,
            obj=exhibitor,
            actor=actor,
            data=_exhibitor_snapshot(exhibitor),
        )
    return exhibitor


def exhibitor_delete(*, exhibitor: Exhibitor, actor: Actor = None) -> None:
    """Remove the exhibitor and its leads; its booth room stays (delete it on the rooms page)."""
    with transaction.atomic():
        log_action(
            action="eventyay_video.exhibitor.deleted",
            organizer=exhibitor.event.organizer,
            event=exhibitor.event,
            obj=exhibitor,
            actor=actor,
            data={"name": exhibitor.name},
        )
        exhibitor.delete()


def exhibitor_staff_add(*, exhibitor: Exhibitor, uid: str, name: str = "", actor: Actor = None) -> Moderator:
    """Staff moderate the booth room and answer its contact requests."""
    if exhibitor.room is None:
        raise ValidationError({"uid": [_("Give the exhibitor a booth room first.")]})
    with transaction.atomic():
        moderator = services.moderator_add(
            event=exhibitor.event, uid=uid, name=name, room=exhibitor.room, actor=actor
        )
        rights_changed(event_id=exhibitor.event_id, uid=moderator.uid)
    return moderator


def exhibitor_staff_remove(*, moderator: Moderator, actor: Actor = None) -> None:
    """The staff member's open sockets lose the booth's rights at once."""
    with transaction.atomic():
        event_id, uid = moderator.event_id, moderator.uid
        services.moderator_remove(moderator=moderator, actor=actor)
        rights_changed(event_id=event_id, uid=uid)


# --- contact requests ----------------------------------------------------------------------------


def _ensure_may_write(*, event: Event, user: VideoUser) -> None:
    restriction = event_state(event).restriction_of(user.uid)
    if restriction == Restriction.Kind.BAN:
        raise VideoError("auth.banned")
    if restriction == Restriction.Kind.SILENCE:
        raise VideoError("chat.silenced")


def _publish_request(request: ContactRequest) -> None:
    realtime.publish(
        staff_group(request.exhibitor_id), "exhibition.contact_request", contact_request_dict(request)
    )
    realtime.publish(
        visitor_group(request.exhibitor.event_id, request.uid),
        "exhibition.contact_request",
        contact_request_dict(request, with_call=True),
    )


def contact_request_create(*, exhibitor: Exhibitor, user: VideoUser, message: Any = "") -> ContactRequest:
    """Ask the exhibitor's staff for contact; asking again while a request is open returns that one."""
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise VideoError("protocol.invalid")
    if len(message) > CONTACT_MESSAGE_MAX_LENGTH:
        raise VideoError("exhibition.message_too_long")
    _ensure_may_write(event=exhibitor.event, user=user)
    try:
        with transaction.atomic():
            request = ContactRequest.objects.create(
                exhibitor=exhibitor, uid=user.uid, name=user.name, message=message.strip()
            )
            _publish_request(request)
    except IntegrityError:
        # The partial unique index allows one open request per user and exhibitor.
        return ContactRequest.objects.select_related("exhibitor").get(
            exhibitor=exhibitor, uid=user.uid, state=ContactRequest.State.OPEN
        )
    return request


def contact_request_answer(
    *, event: Event, request_id: Any, accept: bool, user: VideoUser, may_answer: Any
) -> ContactRequest:
    """Accept or decline an open request; ``may_answer(exhibitor)`` says whether ``user`` staffs it."""
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise VideoError("exhibition.unknown_request")
    with transaction.atomic():
        request = (
            ContactRequest.objects.select_for_update(of=("self",))
            .select_related("exhibitor")
            .filter(exhibitor__event=event, pk=request_id)
            .first()
        )
        if request is None or not may_answer(request.exhibitor):
            raise VideoError("exhibition.unknown_request")
        if request.state != ContactRequest.State.OPEN:
            raise VideoError("exhibition.already_answered")
        request.state = ContactRequest.State.ACCEPTED if accept else ContactRequest.State.DECLINED
        request.answered = timezone.now()
        request.answered_by = user.uid
        request.answered_by_name = user.name
        request.save(update_fields=["state", "answered", "answered_by", "answered_by_name"])
        _publish_request(request)
    return request


# --- posters -------------------------------------------------------------------------------------


def _clean_authors(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.splitlines()]
    if not isinstance(value, list | tuple) or not all(isinstance(a, str) for a in value):
        raise ValidationError({"authors": [_("Enter one author per line.")]})
    return [a.strip()[:200] for a in value if a.strip()][:50]


def _clean_pdf(upload: UploadedFile) -> UploadedFile:
    if upload.size is not None and upload.size > POSTER_PDF_MAX_BYTES:
        raise ValidationError({"pdf": [_("The PDF may be at most 20 MB.")]})
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError({"pdf": [_("Upload a PDF file.")]})
    return upload


def poster_save(
    *, event: Event, data: dict[str, Any], poster: Poster | None = None, actor: Actor = None
) -> Poster:
    """Create a poster (with its discussion channel) or change it."""
    with transaction.atomic():
        created = poster is None
        if poster is None:
            poster = Poster(event=event)
        for field in _POSTER_FIELDS:
            if field in data:
                setattr(poster, field, data[field] if data[field] is not None else "")
        if "authors" in data:
            poster.authors = _clean_authors(data["authors"])
        if "room" in data:
            poster.room = _room_of(event, data["room"])
        if "submission_code" in data:
            code = (data["submission_code"] or "").strip()
            if code and not event.has_plugin("talk"):
                raise ValidationError(
                    {"submission_code": [_("The talk plugin is not active for this event.")]}
                )
            if code and _talk_submission(event, code) is None:
                raise ValidationError({"submission_code": [_("There is no proposal with this code.")]})
            poster.submission_code = code
        if data.get("pdf"):
            upload = _clean_pdf(data["pdf"])
            poster.pdf = upload  # type: ignore[assignment]
            poster.pdf_name = (upload.name or "poster.pdf")[-255:]
        if created:
            poster.channel = ChatChannel.objects.create(event=event, room=None)
        poster.full_clean(exclude=["event", "room", "channel", "pdf"])
        poster.save()
        log_action(
            action="eventyay_video.poster.created" if created else "eventyay_video.poster.changed",
            organizer=event.organizer,
            event=event,
            obj=poster,
            actor=actor,
            data={field: getattr(poster, field) for field in _POSTER_FIELDS} | {"room": poster.room_id},
        )
    return poster


def poster_delete(*, poster: Poster, actor: Actor = None) -> None:
    """Remove the poster with its votes and discussion."""
    with transaction.atomic():
        log_action(
            action="eventyay_video.poster.deleted",
            organizer=poster.event.organizer,
            event=poster.event,
            obj=poster,
            actor=actor,
            data={"title": poster.title},
        )
        channel = poster.channel
        poster.delete()
        channel.delete()


def poster_of_channel(*, event: Event, channel_id: int, room_ids: Collection[int]) -> Poster | None:
    """The poster whose discussion ``channel_id`` is, if the user may see it."""
    return (
        Poster.objects.filter(event=event, channel_id=channel_id)
        .filter(Q(room__isnull=True) | Q(room_id__in=list(room_ids)))
        .first()
    )


def poster_vote_count(poster_id: int) -> int:
    return PosterVote.objects.filter(poster_id=poster_id).count()


def _publish_votes_after_commit(poster: Poster) -> None:
    """Counted after commit, so that concurrent votes never broadcast a count without each other."""

    def send() -> None:
        count = poster_vote_count(poster.pk)
        for group in poster_groups(poster):
            async_to_sync(realtime.send_async)(
                realtime.frame_message(group, "poster.updated", {"id": poster.pk, "votes": count})
            )

    transaction.on_commit(send)


def poster_vote(
    *, event: Event, room_ids: Collection[int], user: VideoUser, poster_id: Any, vote: bool = True
) -> tuple[Poster, int]:
    """Give (or with ``vote`` false take back) the user's one vote; returns the poster and its count."""
    try:
        poster_id = int(poster_id)
    except (TypeError, ValueError):
        raise VideoError("poster.unknown")
    poster = (
        Poster.objects.filter(event=event, pk=poster_id)
        .filter(Q(room__isnull=True) | Q(room_id__in=list(room_ids)))
        .first()
    )
    if poster is None:
        raise VideoError("poster.unknown")
    _ensure_may_write(event=event, user=user)
    with transaction.atomic():
        if vote:
            try:
                # A savepoint: the unique constraint turns a second vote (or a race) into a no-op.
                with transaction.atomic():
                    PosterVote.objects.create(poster=poster, uid=user.uid)
            except IntegrityError:
                pass
        else:
            PosterVote.objects.filter(poster=poster, uid=user.uid).delete()
        _publish_votes_after_commit(poster)
    return poster, poster_vote_count(poster.pk)
