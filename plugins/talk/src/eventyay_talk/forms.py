"""Forms of the public CfP and the speaker area. They only collect input; services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict, cast

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import Event
from eventyay_talk.models import CfP, Question, SubmissionType, Track

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def validate_upload(upload: Any, *, images_only: bool = False) -> None:
    if upload is None or isinstance(upload, str):
        return
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("Please upload a file of at most 10 MB."))
    if images_only and not upload.name.lower().endswith(IMAGE_EXTENSIONS):
        raise ValidationError(_("Please upload a PNG, JPEG, GIF or WebP image."))


class BootstrapMixin:
    """Gives widgets Bootstrap 5 classes so templates can render fields generically."""

    #: Provided by the form class this mixin is combined with.
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The next class in the MRO is a Form; the checker only sees object.__init__ here.
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.style_fields()

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def full_clean(self) -> None:
        """After validation, mark invalid fields for assistive technology and put the focus on
        the first one when the page loads again (``autofocus`` works without JavaScript)."""
        super().full_clean()  # type: ignore[misc]
        errors: dict[str, Any] = getattr(self, "_errors", None) or {}
        first = True
        for name, field in self.fields.items():
            if name not in errors:
                continue
            bound = self[name]  # type: ignore[index]
            field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"{bound.auto_id}-error"})
            if first:
                field.widget.attrs["autofocus"] = True
                first = False


class SubmissionInfoForm(BootstrapMixin, forms.Form):
    """The proposal step; which fields exist and whether they are required follows the CfP."""

    title = forms.CharField(label=_("Title"), max_length=300)
    submission_type: forms.ModelChoiceField[SubmissionType] = forms.ModelChoiceField(
        label=_("Session type"), queryset=SubmissionType.objects.none()
    )
    track: forms.ModelChoiceField[Track] = forms.ModelChoiceField(
        label=_("Track"), queryset=Track.objects.none(), required=False
    )
    abstract = forms.CharField(label=_("Abstract"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    notes = forms.CharField(
        label=_("Notes for the organizers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Not shown publicly."),
    )
    duration = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=1440, required=False)
    content_locale = forms.ChoiceField(label=_("Language"), required=False)
    image = forms.FileField(label=_("Image"), required=False)

    def __init__(
        self, *args: Any, event: Event, cfp: CfP, types: list[SubmissionType], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        # self.fields holds copies of the declared fields, so their classes are the declared ones.
        type_field = cast("forms.ModelChoiceField[SubmissionType]", self.fields["submission_type"])
        type_field.queryset = SubmissionType.objects.filter(pk__in=[t.pk for t in types])
        if len(types) == 1:
            # Nothing to choose: the one session type is preselected, so nobody has to open
            # the list (with a keyboard or otherwise) to pick the only entry.
            type_field.initial = types[0].pk
            type_field.empty_label = None
        track_field = cast("forms.ModelChoiceField[Track]", self.fields["track"])
        track_field.queryset = Track.objects.filter(event=event)
        from django.conf import settings

        names = dict(settings.LANGUAGES)
        locale_field = cast(forms.ChoiceField, self.fields["content_locale"])
        locale_field.choices = [(code, names.get(code, code)) for code in event.active_locales]
        for name in (
            "title",
            "abstract",
            "description",
            "notes",
            "duration",
            "track",
            "content_locale",
            "image",
        ):
            field_name = name
            config = cfp.field_config(name)
            if config["visibility"] == "do_not_ask" or (
                name == "track" and not track_field.queryset.exists()
            ):
                del self.fields[field_name]
                continue
            field = self.fields[field_name]
            field.required = config["visibility"] == "required"
            if config.get("max_length") and isinstance(field, forms.CharField):
                field.max_length = int(config["max_length"])
                field.validators.append(MaxLengthValidator(int(config["max_length"])))
                field.widget.attrs["maxlength"] = int(config["max_length"])
            if config.get("min_length") and isinstance(field, forms.CharField):
                field.min_length = int(config["min_length"])
                field.validators.append(MinLengthValidator(int(config["min_length"])))
        self.style_fields()

    def clean_image(self) -> Any:
        upload = self.cleaned_data.get("image")
        validate_upload(upload, images_only=True)
        return upload


class _QuestionFieldKwargs(TypedDict):
    """The keyword arguments every question's form field gets."""

    label: str
    required: bool
    help_text: str


def question_field(question: Question) -> forms.Field:
    label = str(question.question)
    common: _QuestionFieldKwargs = {
        "label": label,
        "required": question.required,
        "help_text": str(question.help_text or ""),
    }
    variant = question.variant
    if variant == Question.Variant.NUMBER:
        return forms.DecimalField(**common)
    if variant == Question.Variant.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if variant == Question.Variant.BOOLEAN:
        if question.required:
            return forms.BooleanField(**common)
        return forms.NullBooleanField(
            widget=forms.Select(choices=[("unknown", "–"), ("true", _("Yes")), ("false", _("No"))]), **common
        )
    if variant == Question.Variant.FILE:
        return forms.FileField(**common)
    choices = [(str(option.pk), str(option.answer)) for option in question.options.all()]
    if variant == Question.Variant.CHOICE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if variant == Question.Variant.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)


class QuestionsForm(BootstrapMixin, forms.Form):
    """Custom questions as fields named ``question_<id>``."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"question_{question.pk}"] = question_field(question)
        self.style_fields()

    def values(self) -> dict[int, Any]:
        result = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"question_{question.pk}")
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif (
                # Dicts are uploads the CfP form kept for its draft (see views.cfp._stash).
                value is not None
                and not isinstance(value, list | bool | str | dict)
                and not hasattr(value, "read")
            ):
                value = str(value)
            result[question.pk] = value
        return result

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:
            cleaned = self.cleaned_data
        for key, value in cleaned.items():
            if hasattr(value, "read"):
                try:
                    validate_upload(value)
                except ValidationError as exc:
                    self.add_error(key, exc)
        return cleaned


class LoginForm(BootstrapMixin, forms.Form):
    login_email = forms.EmailField(label=_("Email"))
    login_password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class SignupForm(BootstrapMixin, forms.Form):
    signup_name = forms.CharField(label=_("Your name"), max_length=255)
    signup_email = forms.EmailField(label=_("Email"))
    signup_password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    signup_password_repeat = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:
            cleaned = self.cleaned_data
        password = cleaned.get("signup_password")
        if password and password != cleaned.get("signup_password_repeat"):
            self.add_error("signup_password_repeat", _("The passwords do not match."))
        elif password:
            try:
                password_validation.validate_password(password)
            except ValidationError as exc:
                self.add_error("signup_password", exc)
        return cleaned


def parse_availabilities(text: str, tz: Any) -> list[dict[str, str]]:
    """Lines of ``YYYY-MM-DD HH:MM - YYYY-MM-DD HH:MM`` (event time) to availability dicts."""
    result = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            start_text, end_text = (part.strip() for part in line.replace("–", "-").split(" - ", 1))
            start = dt.datetime.strptime(start_text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
            end = dt.datetime.strptime(end_text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
        except ValueError:
            raise ValidationError(
                _("Write one time range per line, like “2030-06-01 09:00 - 2030-06-01 18:00”.")
            )
        result.append({"start": start.isoformat(), "end": end.isoformat()})
    return result


def format_availabilities(items: list[dict[str, str]], tz: Any) -> str:
    lines = []
    for item in items or []:
        start = timezone.localtime(dt.datetime.fromisoformat(item["start"]), tz)
        end = timezone.localtime(dt.datetime.fromisoformat(item["end"]), tz)
        lines.append(f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}")
    return "\n".join(lines)


class ProfileForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name shown publicly"), max_length=255)
    biography = forms.CharField(
        label=_("Biography"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    avatar = forms.FileField(label=_("Profile picture"), required=False)
    availabilities = forms.CharField(
        label=_("When are you available?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One range per line in the event's time zone, e.g. 2030-06-01 09:00 - 2030-06-01 18:00."),
    )

    def __init__(self, *args: Any, event: Event, cfp: CfP, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        for name in ("biography", "avatar", "availabilities"):
            config = cfp.field_config(name)
            if config["visibility"] == "do_not_ask":
                del self.fields[name]
            else:
                field = self.fields[name]
                field.required = config["visibility"] == "required"
                if config.get("max_length") and name == "biography" and isinstance(field, forms.CharField):
                    field.max_length = int(config["max_length"])
                    field.validators.append(MaxLengthValidator(int(config["max_length"])))
        self.style_fields()

    def clean_avatar(self) -> Any:
        upload = self.cleaned_data.get("avatar")
        validate_upload(upload, images_only=True)
        return upload

    def clean_availabilities(self) -> list[dict[str, str]]:
        return parse_availabilities(self.cleaned_data.get("availabilities", ""), self.event.tz)


class InviteForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("Co-speaker's email"))
