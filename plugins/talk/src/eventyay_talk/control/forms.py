"""Forms of the talk control pages; they validate input, the services apply it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from i18nfield.forms import I18nFormField, I18nModelForm

from eventyay.base.models import Event
from eventyay.control.forms import BootstrapMixin
from eventyay.control.forms.i18n import I18nTextarea, I18nTextInput
from eventyay_talk.models import (
    AccessCode,
    CfP,
    Question,
    ReviewPhase,
    Room,
    ScoreCategory,
    SubmissionStates,
    SubmissionType,
    TalkSlot,
    Track,
)
from eventyay_talk.models.cfp import CFP_FIELDS, VISIBILITIES

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _local_datetime_widgets(form: forms.BaseForm) -> None:
    """datetime-local inputs, read in the current (the event's) time zone by the view."""
    for field in form.fields.values():
        if isinstance(field, forms.DateTimeField):
            field.widget = forms.DateTimeInput(
                attrs={"type": "datetime-local", "class": "form-control"}, format=DATETIME_INPUT
            )
            field.input_formats = [DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class EventModelForm(BootstrapMixin, I18nModelForm):
    """A model form of one event's object, translated fields in the event's languages."""

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        kwargs.setdefault("locales", event.active_locales)
        super().__init__(*args, **kwargs)
        self.event = event
        _local_datetime_widgets(self)
        tracks = Track.objects.filter(event=event)
        types = SubmissionType.objects.filter(event=event)
        for name, queryset in (
            ("tracks", tracks),
            ("limit_tracks", tracks),
            ("submission_types", types),
        ):
            field = self.fields.get(name)
            if isinstance(field, forms.ModelMultipleChoiceField):
                field.queryset = queryset
                field.widget = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
                field.widget.choices = field.choices
        if "position" in self.fields:
            self.fields["position"].required = False

    def clean_position(self) -> int:
        return self.cleaned_data.get("position") or 0


class CfPForm(BootstrapMixin, forms.Form):
    """Texts and dates of the CfP, plus per asked field its visibility and length limits."""

    def __init__(self, *args: Any, cfp: CfP, event: Event, **kwargs: Any) -> None:
        initial = {
            "headline": cfp.headline,
            "text": cfp.text,
            "opening": cfp.opening,
            "deadline": cfp.deadline,
        }
        for name in CFP_FIELDS:
            config = cfp.field_config(name)
            initial[f"{name}_visibility"] = config["visibility"]
            initial[f"{name}_min_length"] = config["min_length"]
            initial[f"{name}_max_length"] = config["max_length"]
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        locales = event.active_locales
        self.fields = {
            "headline": I18nFormField(
                label=_("Headline"), required=False, locales=locales, widget=I18nTextInput
            ),
            "text": I18nFormField(label=_("Text"), required=False, locales=locales, widget=I18nTextarea),
            "opening": forms.DateTimeField(label=_("Opens"), required=False),
            "deadline": forms.DateTimeField(label=_("Deadline"), required=False),
            **self.fields,
        }
        visibility_labels = {
            "required": _("required"),
            "optional": _("optional"),
            "do_not_ask": _("not asked"),
        }
        for name in CFP_FIELDS:
            self.fields[f"{name}_visibility"] = forms.ChoiceField(
                label=_("%(field)s: asked") % {"field": name.replace("_", " ")},
                choices=[(value, visibility_labels[value]) for value in VISIBILITIES],
            )
            self.fields[f"{name}_min_length"] = forms.IntegerField(
                label=_("minimum length"), required=False, min_value=0
            )
            self.fields[f"{name}_max_length"] = forms.IntegerField(
                label=_("maximum length"), required=False, min_value=1
            )
        _local_datetime_widgets(self)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            elif not isinstance(field, I18nFormField):
                field.widget.attrs.setdefault("class", "form-control")

    def main_fields(self) -> list[Any]:
        return [self[name] for name in ("headline", "text", "opening", "deadline")]

    def field_rows(self) -> list[tuple[str, Any, Any, Any]]:
        return [
            (name, self[f"{name}_visibility"], self[f"{name}_min_length"], self[f"{name}_max_length"])
            for name in CFP_FIELDS
        ]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            name: {
                "visibility": data[f"{name}_visibility"],
                "min_length": data[f"{name}_min_length"],
                "max_length": data[f"{name}_max_length"],
            }
            for name in CFP_FIELDS
        }
        return {
            "headline": data["headline"].data if data["headline"] else "",
            "text": data["text"].data if data["text"] else "",
            "opening": data["opening"],
            "deadline": data["deadline"],
            "fields": fields,
        }


class SubmissionTypeForm(EventModelForm):
    class Meta:
        model = SubmissionType
        fields = ("name", "default_duration", "deadline")


class TrackForm(EventModelForm):
    class Meta:
        model = Track
        fields = ("name", "color", "description", "position")
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}


class QuestionForm(EventModelForm):
    new_options = forms.CharField(
        label=_("Add options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For choice questions: one new option per line."),
    )

    class Meta:
        model = Question
        fields = ("question", "help_text", "variant", "target", "required", "active", "position")

    def option_lines(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data.get("new_options", "").splitlines() if line.strip()
        ]


class AccessCodeForm(EventModelForm):
    class Meta:
        model = AccessCode
        fields = ("code", "valid_until", "maximum_uses", "submission_types", "tracks")

    def service_data(self) -> dict[str, Any]:
        return {key: self.cleaned_data[key] for key in self.Meta.fields}


class RoomForm(EventModelForm):
    class Meta:
        model = Room
        fields = ("name", "description", "capacity", "position")

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"].data,
            "description": data["description"].data if data["description"] else "",
            "capacity": data["capacity"],
            "position": data["position"],
        }


class ReviewPhaseForm(EventModelForm):
    class Meta:
        model = ReviewPhase
        fields = (
            "name",
            "start",
            "end",
            "position",
            "can_review",
            "proposal_visibility",
            "can_see_other_reviews",
            "can_see_speaker_names",
            "speakers_can_change_submissions",
        )


class ScoreCategoryForm(EventModelForm):
    values = forms.CharField(
        label=_("Scores"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One score a line: a number, then optionally “=” and its label, e.g. “2=good”."),
    )

    class Meta:
        model = ScoreCategory
        fields = ("name", "weight", "required")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["values"] = "\n".join(
                f"{score.value.normalize()}={score.label}" if score.label else str(score.value.normalize())
                for score in self.instance.scores.all()
            )

    def clean_values(self) -> dict[Decimal, str]:
        result: dict[Decimal, str] = {}
        for line in self.cleaned_data["values"].splitlines():
            if not line.strip():
                continue
            number, _sep, label = line.partition("=")
            try:
                result[Decimal(number.strip())] = label.strip()
            except InvalidOperation:
                raise ValidationError(_("“%s” does not start with a number.") % line.strip())
        if not result:
            raise ValidationError(_("Give at least one score."))
        return result


class ReviewForm(BootstrapMixin, forms.Form):
    """A reviewer's text and one score per active category."""

    text = forms.CharField(
        label=pgettext_lazy("noun", "Review"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(
        self, *args: Any, categories: list[ScoreCategory], review: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        chosen = {score.category_id: score.pk for score in review.scores.all()} if review else {}
        if review and not self.is_bound:
            self.initial["text"] = review.text
        self.scores_by_pk: dict[int, Any] = {}
        for category in categories:
            scores = list(category.scores.all())
            self.scores_by_pk.update({score.pk: score for score in scores})
            field = forms.TypedChoiceField(
                label=str(category.name),
                coerce=int,
                required=category.required,
                choices=[("", "—"), *[(score.pk, str(score)) for score in scores]],
                initial=chosen.get(category.pk, ""),
            )
            field.widget.attrs["class"] = "form-select"
            self.fields[f"score_{category.pk}"] = field

    def chosen_scores(self) -> list[Any]:
        return [
            self.scores_by_pk[value]
            for name, value in self.cleaned_data.items()
            if name.startswith("score_") and value not in (None, "")
        ]


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=SubmissionStates.choices)


class QueueForm(forms.Form):
    state = forms.ChoiceField(choices=[("", _("no decision")), *SubmissionStates.choices], required=False)


class SubmissionFilterForm(BootstrapMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("all states")), *SubmissionStates.choices]
    )
    track: forms.ModelChoiceField[Track] = forms.ModelChoiceField(
        label=_("Track"), required=False, queryset=Track.objects.none()
    )
    submission_type: forms.ModelChoiceField[SubmissionType] = forms.ModelChoiceField(
        label=_("Type"), required=False, queryset=SubmissionType.objects.none()
    )
    q = forms.CharField(label=_("Search"), required=False)

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        track = self.fields["track"]
        stype = self.fields["submission_type"]
        assert isinstance(track, forms.ModelChoiceField) and isinstance(stype, forms.ModelChoiceField)
        track.queryset = Track.objects.filter(event=event)
        stype.queryset = SubmissionType.objects.filter(event=event)


class SlotMoveForm(BootstrapMixin, forms.Form):
    """Where a WIP slot goes: a room and a start in the event's time zone (empty room: unschedule)."""

    room: forms.ModelChoiceField[Room] = forms.ModelChoiceField(
        label=_("Room"), required=False, queryset=Room.objects.none()
    )
    start = forms.DateTimeField(label=_("Start"), required=False)

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        room = self.fields["room"]
        assert isinstance(room, forms.ModelChoiceField)
        room.queryset = Room.objects.filter(event=event)
        _local_datetime_widgets(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("room") and not data.get("start"):
            self.add_error("start", _("Give a start time for the room."))
        return data


class AvailabilityForm(BootstrapMixin, forms.Form):
    """A window in which a room can be used, in the event's time zone."""

    start = forms.DateTimeField(label=_("From"))
    end = forms.DateTimeField(label=_("Until"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _local_datetime_widgets(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("An availability must end after it starts."))
        return data


class ReleaseForm(BootstrapMixin, forms.Form):
    version = forms.CharField(label=_("Version name"), max_length=190)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notify_speakers = forms.BooleanField(label=_("Notify affected speakers"), required=False, initial=True)


class BreakForm(BootstrapMixin, forms.Form):
    """A break (published) or blocker (internal) in one room of the WIP schedule."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(TalkSlot.Kind.BREAK, _("Break")), (TalkSlot.Kind.BLOCKER, _("Blocker"))]
    )
    description = forms.CharField(label=_("Description"), max_length=200)
    room: forms.ModelChoiceField[Room] = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none())
    start = forms.DateTimeField(label=_("Start"))
    end = forms.DateTimeField(label=_("End"))

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(event=event)  # type: ignore[attr-defined]
        _local_datetime_widgets(self)


class BalanceForm(BootstrapMixin, forms.Form):
    per_submission = forms.IntegerField(
        label=_("Reviewers per proposal"), min_value=1, max_value=50, initial=3
    )
    replace = forms.BooleanField(label=_("Drop the current assignments first"), required=False, initial=False)


class MailTemplateForm(BootstrapMixin, forms.Form):
    """Subject and text of one talk mail in each of the event's languages, and a sample for the preview."""

    def __init__(self, *args: Any, event: Event, proposals: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locales = event.active_locales
        self.fields["subject"] = I18nFormField(
            label=_("Subject"), locales=locales, widget=I18nTextInput, max_length=200
        )
        self.fields["text"] = I18nFormField(label=_("Text"), locales=locales, widget=I18nTextarea)
        self.fields["sample"] = forms.ChoiceField(
            label=_("Preview with the proposal"), required=False, choices=[("", "—"), *proposals]
        )

    def translations(self, name: str) -> dict[str, str]:
        value = self.cleaned_data[name].data
        return value if isinstance(value, dict) else {"": value or ""}
