"""API representations of the talk plugin's objects."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField

from eventyay.api.serializers import I18nField
from eventyay.base.models import User
from eventyay_talk.models import (
    Answer,
    Question,
    QuestionOption,
    Review,
    ReviewScore,
    Room,
    Schedule,
    SpeakerProfile,
    Submission,
    SubmissionStates,
    SubmissionType,
    TalkSlot,
    Track,
)


class SubmissionTypeSerializer(serializers.ModelSerializer):
    name = I18nField(max_length=100)

    class Meta:
        model = SubmissionType
        fields = ["id", "name", "default_duration", "deadline"]


class TrackSerializer(serializers.ModelSerializer):
    name = I18nField(max_length=100)
    description = I18nField(required=False, allow_null=True)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)

    class Meta:
        model = Track
        fields = ["id", "name", "color", "description", "position"]


class OffsetDateTimeField(serializers.DateTimeField):
    """A datetime kept in the offset it was given in; a naive one is left for the service to refuse."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        return value


class AvailabilitySerializer(serializers.Serializer):
    """One window in which a room or speaker is available (ISO datetimes with offset)."""

    start = OffsetDateTimeField()
    end = OffsetDateTimeField()


class RoomSerializer(serializers.ModelSerializer):
    name = I18nField(max_length=100)
    description = I18nField(required=False, allow_null=True)
    # The service checks the windows' order and time zones; the field only checks the shape.
    availabilities = AvailabilitySerializer(many=True, required=False)

    class Meta:
        model = Room
        fields = ["id", "name", "description", "capacity", "position", "guid", "availabilities"]
        read_only_fields = ["guid"]


class QuestionOptionSerializer(serializers.ModelSerializer):
    answer = I18nField(max_length=200)

    class Meta:
        model = QuestionOption
        fields = ["id", "answer", "position"]


class QuestionSerializer(serializers.ModelSerializer):
    question = I18nField(max_length=800)
    # The stubs see Field.help_text; DRF's serializer metaclass moves declared fields off the class.
    help_text = I18nField(required=False, allow_null=True)  # type: ignore[assignment]
    options = QuestionOptionSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "question",
            "help_text",
            "variant",
            "target",
            "required",
            "active",
            "position",
            "options",
        ]


class AnswerSerializer(serializers.ModelSerializer):
    # An answer belongs to a submission, a speaker or a review: the other two are null.
    submission: serializers.SlugRelatedField[Submission] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    person: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True
    )
    options: serializers.PrimaryKeyRelatedField[QuestionOption] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Answer
        fields = ["id", "question", "submission", "person", "review", "answer", "options"]


class SubmissionSpeakerSerializer(serializers.Serializer):
    """A speaker of a submission; ``code`` is null until the speaker has a profile at the event."""

    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    email = serializers.EmailField()


class SubmissionSerializer(serializers.ModelSerializer):
    speakers = serializers.SerializerMethodField()
    # Read-only fields lose the model's blank=True, so the empty "no pending state" is declared here.
    pending_state = serializers.ChoiceField(
        choices=SubmissionStates.choices, allow_blank=True, read_only=True
    )
    submission_type: serializers.PrimaryKeyRelatedField[SubmissionType] = serializers.PrimaryKeyRelatedField(
        queryset=SubmissionType.objects.none()
    )
    track: serializers.PrimaryKeyRelatedField[Track] = serializers.PrimaryKeyRelatedField(
        queryset=Track.objects.none(), required=False, allow_null=True
    )
    speaker_emails = serializers.ListField(
        child=serializers.EmailField(), write_only=True, required=False, min_length=1
    )
    submit = serializers.BooleanField(write_only=True, required=False, default=True)

    class Meta:
        model = Submission
        fields = [
            "code",
            "title",
            "abstract",
            "description",
            "notes",
            "internal_notes",
            "duration",
            "track",
            "submission_type",
            "content_locale",
            "state",
            "pending_state",
            "speakers",
            "speaker_emails",
            "submit",
            "created",
            "updated",
        ]
        read_only_fields = ["code", "state", "pending_state", "created", "updated"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.context.get("event")
        if event is not None:
            # self.fields holds copies of the declared fields, so their classes are the declared ones.
            type_field = cast("RelatedField[SubmissionType, Any, Any]", self.fields["submission_type"])
            type_field.queryset = SubmissionType.objects.filter(event=event)
            track_field = cast("RelatedField[Track, Any, Any]", self.fields["track"])
            track_field.queryset = Track.objects.filter(event=event)

    @extend_schema_field(SubmissionSpeakerSerializer(many=True))
    def get_speakers(self, submission: Submission) -> list[dict[str, Any]]:
        profiles = self.context.get("profiles", {})
        return [
            {
                "code": profiles[user.pk].code if user.pk in profiles else None,
                "name": profiles[user.pk].display_name if user.pk in profiles else user.get_full_name(),
                "email": user.email,
            }
            for user in submission.speakers.all()
        ]


class StateActionSerializer(serializers.Serializer):
    send_mail = serializers.BooleanField(required=False, default=True)


class SpeakerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    submissions = serializers.SerializerMethodField()
    availabilities = AvailabilitySerializer(many=True, read_only=True)

    class Meta:
        model = SpeakerProfile
        fields = ["code", "name", "email", "biography", "availabilities", "submissions"]

    def get_submissions(self, profile: SpeakerProfile) -> list[str]:
        return sorted(s.code for s in profile.user.talk_submissions.all() if s.event_id == profile.event_id)


class ReviewSerializer(serializers.ModelSerializer):
    submission: serializers.SlugRelatedField[Submission] = serializers.SlugRelatedField(
        slug_field="code", queryset=Submission.objects.none()
    )
    user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True
    )

    class Meta:
        model = Review
        fields = ["id", "submission", "user", "text", "scores", "score", "created", "updated"]
        read_only_fields = ["score", "created", "updated"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.context.get("event")
        if event is not None:
            # Declared fields keep their class; the model's many-to-many "scores" becomes a
            # ManyRelatedField around a related field.
            submission_field = cast("RelatedField[Submission, Any, Any]", self.fields["submission"])
            submission_field.queryset = Submission.objects.filter(event=event)
            scores_field = cast(ManyRelatedField, self.fields["scores"])
            scores_field.child_relation.queryset = ReviewScore.objects.filter(category__event=event)


class ScheduleSerializer(serializers.ModelSerializer):
    version = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = ["id", "version", "published", "comment", "changelog"]

    def get_version(self, schedule: Schedule) -> str:
        return schedule.version or "wip"


class ReleaseSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=190)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    notify_speakers = serializers.BooleanField(required=False, default=True)


class SlotSerializer(serializers.ModelSerializer):
    # Breaks and blockers have no submission.
    submission: serializers.SlugRelatedField[Submission] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    schedule = serializers.SerializerMethodField()
    description = I18nField(required=False, allow_null=True)
    room: serializers.PrimaryKeyRelatedField[Room] = serializers.PrimaryKeyRelatedField(
        queryset=Room.objects.none(), required=False, allow_null=True
    )
    warnings = serializers.SerializerMethodField()
    guid = serializers.SerializerMethodField()

    class Meta:
        model = TalkSlot
        fields = [
            "id",
            "schedule",
            "kind",
            "submission",
            "description",
            "room",
            "start",
            "end",
            "guid",
            "warnings",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.context.get("event")
        if event is not None:
            # self.fields holds a copy of the declared field, so its class is the declared one.
            room_field = cast("RelatedField[Room, Any, Any]", self.fields["room"])
            room_field.queryset = Room.objects.filter(event=event)

    def get_guid(self, slot: TalkSlot) -> str:
        """Talks keep their submission's stable guid in every version; breaks their own."""
        return str(slot.submission.guid) if slot.submission is not None else str(slot.guid)

    def get_schedule(self, slot: TalkSlot) -> str:
        return slot.schedule.version or "wip"

    def get_warnings(self, slot: TalkSlot) -> list[str]:
        return self.context.get("warnings", {}).get(slot.pk, [])
