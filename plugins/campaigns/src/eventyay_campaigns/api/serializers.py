from __future__ import annotations

from typing import Any

from rest_framework import serializers

from eventyay_campaigns.models import Contact, Segment


class TagsField(serializers.ListField):
    def to_representation(self, data: Any) -> list[str]:
        # The list prefetches tags; sorted here, not in the query, so it stays one query.
        return sorted(tag.name for tag in data.all())


class ContactSerializer(serializers.ModelSerializer):
    tags = TagsField(
        child=serializers.CharField(max_length=100), required=False, help_text="Tag names; replaces all tags."
    )
    custom_fields = serializers.DictField(
        required=False, help_text="Custom field key to value; merged into the stored values, null removes."
    )
    marketing_consent = serializers.BooleanField(
        required=False, help_text="Changing it records the source api and the time."
    )
    sms_consent = serializers.BooleanField(
        required=False,
        help_text="Consent to marketing text messages; changing it records the source api and the time.",
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "avatar",
            "gender",
            "job_title",
            "company",
            "city",
            "state",
            "country",
            "locale",
            "tags",
            "custom_fields",
            "marketing_consent",
            "consent_source",
            "consent_at",
            "sms_consent",
            "sms_consent_source",
            "sms_consent_at",
            "events_attended",
            "events_registered",
            "events_hosted",
            "talks_given",
            "created",
            "updated",
        ]
        read_only_fields = [
            "consent_source",
            "consent_at",
            "sms_consent_source",
            "sms_consent_at",
            "events_attended",
            "events_registered",
            "events_hosted",
            "talks_given",
            "created",
            "updated",
        ]
        # Uniqueness of the address (per organizer, in any case) is checked by the service.
        validators: list[Any] = []


class SegmentSerializer(serializers.ModelSerializer):
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text='The contact list\'s query parameters, e.g. {"city": "Berlin"}.',
    )
    size = serializers.SerializerMethodField(
        help_text="How many contacts match now (detail only): exact up to 1,000, estimated above."
    )
    size_exact = serializers.SerializerMethodField(
        help_text="False when size is the database's estimate (more than 1,000 matches)."
    )

    class Meta:
        model = Segment
        fields = ["id", "name", "filters", "size", "size_exact", "created", "updated"]
        read_only_fields = ["created", "updated"]

    def get_size(self, segment: Segment) -> int | None:
        size = self.context.get("sizes", {}).get(segment.pk)
        return size.value if size is not None else None

    def get_size_exact(self, segment: Segment) -> bool | None:
        size = self.context.get("sizes", {}).get(segment.pk)
        return size.exact if size is not None else None
