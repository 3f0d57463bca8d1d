"""API endpoints under ``/api/v1/organizers/<organizer>/events/<event>/``: thin, services do the work."""

from __future__ import annotations

from typing import Any, cast

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from i18nfield.strings import LazyI18nString
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from eventyay.api.mixins import EventViewMixin
from eventyay.api.permissions import api_grant
from eventyay.api.views import actor_of
from eventyay.base.models import User
from eventyay.base.services.cache import API_LIST_TIMEOUT, api_list_key
from eventyay_talk import selectors
from eventyay_talk.api.serializers import (
    AnswerSerializer,
    QuestionSerializer,
    ReleaseSerializer,
    ReviewSerializer,
    RoomSerializer,
    ScheduleSerializer,
    SlotSerializer,
    SpeakerSerializer,
    StateActionSerializer,
    SubmissionSerializer,
    SubmissionTypeSerializer,
    TrackSerializer,
)
from eventyay_talk.models import (
    Answer,
    Question,
    Review,
    Room,
    Schedule,
    SpeakerProfile,
    Submission,
    SubmissionStates,
    SubmissionType,
    TalkSlot,
    Track,
)
from eventyay_talk.services.accounts import speaker_user_for_email
from eventyay_talk.services.config import config_object_delete, config_object_save
from eventyay_talk.services.reviews import review_save
from eventyay_talk.services.schedule import (
    break_create,
    room_delete,
    room_save,
    schedule_release,
    slot_schedule,
    slot_unschedule,
    wip_schedule,
)
from eventyay_talk.services.submissions import submission_create, submission_state_change, submission_update

READ = "event.submissions:read"
WRITE = "event.submissions:write"
SCHEDULE_WRITE = "event.schedule:write"


def _i18n(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: (LazyI18nString(v) if k in keys and v is not None else v) for k, v in data.items()}


class ConfigViewSet(EventViewMixin, viewsets.ModelViewSet):
    """CRUD for an event's simple configuration objects."""

    permission = READ
    write_permission = WRITE
    model: Any = None
    i18n_fields: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet:
        return self.model.objects.filter(event=self.event)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        instance = self.model(event=self.event, **_i18n(serializer.validated_data, *self.i18n_fields))
        serializer.instance = config_object_save(
            event=self.event, instance=instance, actor=actor_of(self.request)
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        # UpdateModelMixin.update() builds the serializer around get_object(), so it has an instance.
        instance = cast(models.Model, serializer.instance)
        for key, value in _i18n(serializer.validated_data, *self.i18n_fields).items():
            setattr(instance, key, value)
        config_object_save(event=self.event, instance=instance, actor=actor_of(self.request))

    def perform_destroy(self, instance: Any) -> None:
        config_object_delete(event=self.event, instance=instance, actor=actor_of(self.request))


class SubmissionTypeViewSet(ConfigViewSet):
    serializer_class = SubmissionTypeSerializer
    model = SubmissionType
    i18n_fields = ("name",)


class TrackViewSet(ConfigViewSet):
    serializer_class = TrackSerializer
    model = Track
    i18n_fields = ("name", "description")


class QuestionViewSet(ConfigViewSet):
    serializer_class = QuestionSerializer
    model = Question
    i18n_fields = ("question", "help_text")

    def get_queryset(self) -> QuerySet:
        return Question.objects.filter(event=self.event).prefetch_related("options")


class RoomViewSet(EventViewMixin, viewsets.ModelViewSet):
    permission = READ
    write_permission = SCHEDULE_WRITE
    serializer_class = RoomSerializer

    def get_queryset(self) -> QuerySet[Room]:
        return Room.objects.filter(event=self.event)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = room_save(
            event=self.event, data=serializer.validated_data, actor=actor_of(self.request)
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        room_save(
            event=self.event,
            data=serializer.validated_data,
            room=serializer.instance,
            actor=actor_of(self.request),
        )

    def perform_destroy(self, instance: Room) -> None:
        room_delete(room=instance, actor=actor_of(self.request))


class AnswerViewSet(EventViewMixin, viewsets.ReadOnlyModelViewSet):
    permission = READ
    serializer_class = AnswerSerializer
    filterset_fields = ["question"]

    def get_queryset(self) -> QuerySet[Answer]:
        return (
            Answer.objects.filter(question__event=self.event)
            .select_related("submission", "person")
            .prefetch_related("options")
            .order_by("pk")
        )


class SubmissionViewSet(
    EventViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Proposals, looked up by code; state changes go through the actions."""

    permission = READ
    write_permission = WRITE
    serializer_class = SubmissionSerializer
    lookup_field = "code"
    filterset_fields = ["state", "track", "submission_type"]
    ordering_fields = ["created", "title", "code"]
    ordering = ["pk"]

    def get_queryset(self) -> QuerySet[Submission]:
        return (
            Submission.objects.filter(event=self.event)
            .select_related("track", "submission_type")
            .prefetch_related("speakers")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.event is not None and self.action != "list":
            context["profiles"] = {
                p.user_id: p for p in SpeakerProfile.objects.filter(event=self.event).select_related("user")
            }
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One page of proposals, kept per content version, query and the caller's permissions.

        Every change of a proposal, its speakers or their profiles bumps the event's content
        version (``eventyay_talk.page_cache``), so a kept page is never older than the data.
        The permission check has run before this (``EventPermission``); the key also holds the
        caller's permissions on the event, so no answer is shared between callers who may see
        different things.
        """
        grant = api_grant(request, self.organizer)
        key = api_list_key(
            "submissions",
            self.event,
            permissions=grant.event_permission_set(self.event) | ({"admin"} if grant.is_admin else set()),
            url=request.build_absolute_uri(),
        )
        data = cache.get(key)
        if data is None:
            queryset = self.filter_queryset(self.get_queryset())
            page = self.paginate_queryset(queryset)
            rows = list(page if page is not None else queryset)
            context = self.get_serializer_context()
            # Only the profiles of this page's speakers, not every speaker of the event.
            user_ids = {user.pk for submission in rows for user in submission.speakers.all()}
            context["profiles"] = {
                p.user_id: p
                for p in SpeakerProfile.objects.filter(event=self.event, user_id__in=user_ids).select_related(
                    "user"
                )
            }
            serialized = self.get_serializer_class()(rows, many=True, context=context).data
            data = self.get_paginated_response(serialized).data if page is not None else serialized
            cache.set(key, data, API_LIST_TIMEOUT)
        return Response(data)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        emails = data.pop("speaker_emails", None)
        submit = data.pop("submit", True)
        if not emails:
            raise serializers.ValidationError({"speaker_emails": [_("Give at least one speaker's email.")]})
        actor = actor_of(self.request)
        with transaction.atomic():
            users = [speaker_user_for_email(event=self.event, email=email) for email in emails]
            submission = submission_create(
                event=self.event, speaker=users[0], data=data, submit=submit, actor=actor
            )
            for user in users[1:]:
                submission.speakers.add(user)
                SpeakerProfile.objects.get_or_create(event=self.event, user=user)
        serializer.instance = self.get_queryset().get(pk=submission.pk)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = {k: v for k, v in serializer.validated_data.items() if k not in ("speaker_emails", "submit")}
        # UpdateModelMixin.update() builds the serializer around get_object(), so it has an instance.
        submission = cast(Submission, serializer.instance)
        submission_update(submission=submission, data=data, actor=actor_of(self.request))

    def _transition(self, request: Request, new_state: str) -> Response:
        submission = self.get_object()
        options = StateActionSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        submission_state_change(
            submission=submission,
            new_state=new_state,
            actor=actor_of(request),
            send_mail=options.validated_data["send_mail"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=submission.pk)).data)

    @extend_schema(request=StateActionSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, **kwargs: Any) -> Response:
        return self._transition(request, SubmissionStates.ACCEPTED)

    @extend_schema(request=StateActionSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, **kwargs: Any) -> Response:
        return self._transition(request, SubmissionStates.REJECTED)

    @extend_schema(request=StateActionSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, **kwargs: Any) -> Response:
        return self._transition(request, SubmissionStates.CONFIRMED)

    @extend_schema(request=StateActionSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, **kwargs: Any) -> Response:
        return self._transition(request, SubmissionStates.CANCELED)

    @extend_schema(request=StateActionSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, **kwargs: Any) -> Response:
        return self._transition(request, SubmissionStates.WITHDRAWN)


class SpeakerViewSet(EventViewMixin, viewsets.ReadOnlyModelViewSet):
    permission = READ
    serializer_class = SpeakerSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[SpeakerProfile]:
        return (
            SpeakerProfile.objects.filter(event=self.event)
            .select_related("user")
            .prefetch_related("user__talk_submissions")
            .order_by("pk")
        )


class ReviewViewSet(
    EventViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    #: Organizers need one of these; members of reviewer teams get the reviews they may read.
    full_access = (READ, "event.reviews:write")
    # Checked in get_queryset and by review_save, as reviewer teams hold no team permission.
    permission = None
    serializer_class = ReviewSerializer
    filterset_fields = ["submission__code"]

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no event, no caller
            return Review.objects.none()
        grant = api_grant(self.request, self.event.organizer)
        if any(grant.has_event_permission(self.event, name) for name in self.full_access):
            queryset: QuerySet[Review] | None = Review.objects.filter(submission__event=self.event)
        elif isinstance(self.request.user, User):
            queryset = selectors.reviewer_visible_reviews(self.event, self.request.user)
        else:
            queryset = None
        if queryset is None:
            raise exceptions.PermissionDenied(_("This needs the review permission or a reviewer team."))
        return queryset.select_related("submission", "user").prefetch_related("scores").order_by("pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refuse people who neither hold the review permission nor sit in a reviewer team,
        before the body is validated (its errors would otherwise answer 400)."""
        grant = api_grant(request, self.event.organizer)
        user = request.user
        if not grant.has_event_permission(self.event, "event.reviews:write") and not (
            isinstance(user, User) and selectors.reviewer_tracks(user=user, event=self.event)[0]
        ):
            raise exceptions.PermissionDenied(_("This needs the review permission or a reviewer team."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        user = self.request.user
        if not isinstance(user, User):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Reviews are written by people: use a personal login or OAuth.")]}
            )
        data = serializer.validated_data
        serializer.instance = review_save(
            submission=data["submission"],
            user=user,
            text=data.get("text", ""),
            scores=data.get("scores", []),
            actor=actor_of(self.request),
        )


class ScheduleViewSet(
    EventViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Schedule versions; ``wip`` and ``latest`` are accepted as lookups."""

    permission = READ
    write_permission = SCHEDULE_WRITE
    serializer_class = ScheduleSerializer
    lookup_field = "version"
    lookup_value_converter = "str"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Schedule]:
        return Schedule.objects.filter(event=self.event).order_by("-published", "-pk")

    def get_object(self) -> Schedule:
        schedule = selectors.schedule_by_version(self.event, self.kwargs["version"])
        if schedule is None:
            raise Http404()
        self.check_object_permissions(self.request, schedule)
        return schedule

    @extend_schema(request=ReleaseSerializer, responses={201: ScheduleSerializer})
    @action(detail=False, methods=["post"])
    def release(self, request: Request, **kwargs: Any) -> Response:
        options = ReleaseSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        schedule = schedule_release(
            event=self.event,
            version=options.validated_data["version"],
            comment=options.validated_data["comment"],
            notify_speakers=options.validated_data["notify_speakers"],
            actor=actor_of(request),
        )
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class SlotViewSet(EventViewMixin, viewsets.ModelViewSet):
    """Slots of the WIP schedule (``?schedule=<version>`` reads another version).

    PATCH ``room``/``start``/``end`` moves a slot, POST adds a break or blocker, DELETE takes a
    talk out of the grid (breaks are deleted). ``warnings`` lists conflicts for the editor.
    """

    permission = READ
    write_permission = SCHEDULE_WRITE
    serializer_class = SlotSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _schedule(self) -> Schedule:
        version = self.request.query_params.get("schedule", "wip")
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            version = "wip"
        if version == "wip":
            return wip_schedule(event=self.event)
        schedule = selectors.schedule_by_version(self.event, version)
        if schedule is None:
            raise Http404()
        return schedule

    def get_queryset(self) -> QuerySet[TalkSlot]:
        if getattr(self, "swagger_fake_view", False):  # schema generation must not create a WIP
            return TalkSlot.objects.none()
        return (
            TalkSlot.objects.filter(schedule=self._schedule())
            .select_related("schedule", "room", "submission__event__organizer")
            .order_by("start", "pk")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.event is not None and self.request.method == "GET":
            schedule = self._schedule()
            context["warnings"] = selectors.slot_warnings(schedule) if schedule.is_wip else {}
        return context

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        missing = [key for key in ("room", "start", "end") if not data.get(key)]
        if missing:
            raise serializers.ValidationError({key: [_("This field is required.")] for key in missing})
        serializer.instance = break_create(
            event=self.event,
            room=data["room"],
            start=data["start"],
            end=data["end"],
            description=data.get("description") or "",
            kind=data.get("kind", TalkSlot.Kind.BREAK),
            actor=actor_of(self.request),
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        # UpdateModelMixin.update() builds the serializer around get_object(), so it has an instance.
        slot = cast(TalkSlot, serializer.instance)
        room = data.get("room", slot.room)
        start = data.get("start", slot.start)
        if room is None or start is None:
            slot_unschedule(slot=slot, actor=actor_of(self.request))
            return
        end = data.get("end", slot.end if slot.submission_id is None or "start" not in data else None)
        slot_schedule(slot=slot, room=room, start=start, end=end, actor=actor_of(self.request))

    def perform_destroy(self, instance: TalkSlot) -> None:
        slot_unschedule(slot=instance, actor=actor_of(self.request))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        super().destroy(request, *args, **kwargs)
        return Response(status=status.HTTP_204_NO_CONTENT)
