"""Control panel forms of the exhibition and the poster hall."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from eventyay.control.forms import https_formfield
from eventyay_video.models import Exhibitor, Poster, Room

LINKS_HELP = _("One per line: a label, a vertical bar and the address, e.g. “Website | https://example.org”.")


def _links_text(links: list[dict[str, str]]) -> str:
    return "\n".join(f"{link['label']} | {link['url']}" for link in links)


class _EventRoomForm(forms.ModelForm):
    """A model form with a ``room`` field limited to the event's rooms (set per form: the rooms
    are scoped, so the field's choices cannot be read when the class is defined)."""

    room: forms.ModelChoiceField[Room] = forms.ModelChoiceField(
        label=_("Room"), queryset=None, required=False
    )

    room_label: Any = _("Room")
    room_help: Any = ""

    def __init__(self, *args: Any, event: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        room_field = cast("forms.ModelChoiceField[Room]", self.fields["room"])
        room_field.queryset = Room.objects.filter(event=event)
        room_field.label = self.room_label
        room_field.help_text = self.room_help


class ExhibitorForm(_EventRoomForm):
    links = forms.CharField(
        label=_("Links"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=LINKS_HELP
    )
    social = forms.CharField(
        label=_("Social profiles"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=LINKS_HELP,
    )
    logo_clear = forms.BooleanField(label=_("Remove the uploaded logo"), required=False)
    room_label = _("Booth room")
    room_help = _(
        "The booth: its chat and modules; its moderators are the exhibitor's staff. "
        "Leave empty on a new exhibitor to create a booth room with a chat."
    )

    class Meta:
        model = Exhibitor
        formfield_callback = https_formfield
        fields = ["name", "short_text", "text", "logo_url", "logo", "room", "call_url", "order"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "call_url": _("Handed to attendees whose contact request the staff accept."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["logo"].widget = forms.FileInput(attrs={"accept": "image/*"})
        self.fields["room"].error_messages["unique"] = _(
            "This room is already the booth of another exhibitor."
        )
        if self.instance.pk:
            self.initial["links"] = _links_text(self.instance.links)
            self.initial["social"] = _links_text(self.instance.social)


class StaffForm(forms.Form):
    uid = forms.CharField(label=_("User id"), max_length=200)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)


class PosterForm(_EventRoomForm):
    authors = forms.CharField(
        label=_("Authors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    room_label = _("Poster hall")
    room_help = _("Only attendees who may enter this room see the poster (empty: everyone).")
    pdf = forms.FileField(
        label=_("PDF"), required=False, widget=forms.FileInput(attrs={"accept": "application/pdf"})
    )

    class Meta:
        model = Poster
        formfield_callback = https_formfield
        fields = ["title", "authors", "abstract", "category", "room", "submission_code", "order"]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "submission_code": _(
                "The code of the talk proposal this poster presents (needs the talk plugin)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["authors"] = "\n".join(self.instance.authors)
