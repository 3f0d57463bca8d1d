"""Forms for organizers, their teams, members and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import Event, Organizer
from eventyay.base.permissions import all_permissions
from eventyay.base.validators import validate_slug_not_reserved
from eventyay.control.forms import BootstrapMixin


class OrganizerCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Short form"),
        max_length=50,
        help_text=_("Used in URLs, e.g. /<short form>/. Lowercase letters, digits and hyphens."),
        validators=[validate_slug_not_reserved],
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Organizer.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This short form is already taken."))
        return slug


class OrganizerSettingsForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    require_2fa = forms.BooleanField(label=_("Require two-factor authentication for members"), required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    imprint_url = forms.URLField(label=_("Imprint URL"), required=False, assume_scheme="https")
    privacy_url = forms.URLField(label=_("Privacy policy URL"), required=False, assume_scheme="https")
    mail_from_name = forms.CharField(label=_("Sender name of mails"), max_length=100, required=False)
    show_on_organizer_page = forms.BooleanField(
        label=_("List public events on the organizer page"), required=False
    )

    brand_color = forms.RegexField(
        label=_("Colour of the public pages' header"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("The header text is black or white, whichever reads better on this colour."),
        error_messages={"invalid": _("Enter a colour as # followed by six hexadecimal digits.")},
    )
    logo_url = forms.URLField(
        label=_("Logo URL"),
        required=False,
        assume_scheme="https",
        help_text=_("An image shown next to the name in the header of your public pages."),
    )

    FIELDS = ("name", "require_2fa")


def permission_choices(level: str) -> list[tuple[str, str]]:
    return [(p.name, str(p.label)) for p in all_permissions() if p.level == level]


class TeamForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=190)
    organizer_permissions = forms.MultipleChoiceField(
        label=_("Organizer permissions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    event_permissions = forms.MultipleChoiceField(
        label=_("Event permissions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    all_events = forms.BooleanField(label=_("All events (including future ones)"), required=False)
    limit_events: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Chosen events"),
        queryset=Event.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Event permissions hold on these events when “All events” is off."),
    )

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organizer_permissions"].choices = permission_choices("organizer")  # type: ignore[attr-defined]
        self.fields["event_permissions"].choices = permission_choices("event")  # type: ignore[attr-defined]
        events = Event.objects.filter(organizer=organizer).order_by("slug")
        self.fields["limit_events"].queryset = events  # type: ignore[attr-defined]

    @property
    def permissions(self) -> list[str]:
        return [*self.cleaned_data["organizer_permissions"], *self.cleaned_data["event_permissions"]]


class InviteForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("Email address of the new member"))


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=190)
