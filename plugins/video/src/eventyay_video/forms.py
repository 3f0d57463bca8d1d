from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from eventyay.base.secrets import SecretFormField
from eventyay_video.models import JanusServer, Module, Restriction, Room


class RoomForm(forms.ModelForm):
    traits = forms.CharField(
        label=_("Required traits"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line; a user needs one of them (empty: every ticket holder). "
            "E.g. product:12 for a ticket product, role:speaker, attendee."
        ),
    )

    class Meta:
        model = Room
        fields = ["name", "description", "order", "traits", "talk_room_name"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["traits"] = "\n".join(self.instance.traits)

    def clean_traits(self) -> list[str]:
        value = self.cleaned_data.get("traits") or ""
        return sorted({line.strip() for line in value.splitlines() if line.strip()})


class ModuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Module.Kind.choices)
    url = forms.URLField(label=_("URL (stream, player or call link)"), required=False, assume_scheme="https")
    server = forms.URLField(label=_("BigBlueButton server"), required=False, assume_scheme="https")
    secret = forms.CharField(label=_("BigBlueButton shared secret"), required=False)
    meeting_id = forms.CharField(label=_("BigBlueButton meeting id"), required=False)
    content = forms.CharField(
        label=_("Page content"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    order = forms.IntegerField(label=_("Position"), min_value=0, initial=0)

    def config(self) -> dict[str, Any]:
        return {
            key: self.cleaned_data.get(key) or ""
            for key in ("url", "server", "secret", "meeting_id", "content")
        }


class SettingsForm(forms.Form):
    allow_pending = forms.BooleanField(label=_("Admit holders of pending (unpaid) orders"), required=False)


class AnnouncementForm(forms.Form):
    text = forms.CharField(label=_("Announcement"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class RestrictionForm(forms.Form):
    uid = forms.CharField(label=_("User id"), max_length=200)
    kind = forms.ChoiceField(label=_("Restriction"), choices=Restriction.Kind.choices)


class TokenRevokeForm(forms.Form):
    uid = forms.CharField(label=_("User id"), max_length=200)


class ModeratorForm(forms.Form):
    uid = forms.CharField(label=_("User id"), max_length=200)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    room: forms.ModelChoiceField[Room] = forms.ModelChoiceField(
        label=_("Room"), queryset=None, required=False, empty_label=_("All rooms")
    )

    def __init__(self, *args: Any, event: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if event is not None:
            # Form.fields is typed as plain Field; "room" is the ModelChoiceField declared above.
            room_field = cast("forms.ModelChoiceField[Room]", self.fields["room"])
            room_field.queryset = Room.objects.filter(event=event)


class JanusServerForm(forms.Form):
    """A Janus server; its secrets are write-only (empty input keeps the stored one)."""

    url = forms.URLField(
        label=_("Janus HTTP API URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The base of the Janus REST API, e.g. https://janus.example.org/janus"),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    weight = forms.IntegerField(
        label=_("Weight"),
        min_value=0,
        max_value=1000,
        initial=1,
        help_text=_("A server with twice the weight gets twice the calls; 0 takes no new calls."),
    )

    def __init__(self, *args: Any, server: JanusServer | None = None, **kwargs: Any) -> None:
        if server is not None:
            kwargs.setdefault("initial", {"url": server.url, "active": server.active, "weight": server.weight})
        super().__init__(*args, **kwargs)
        self.fields["api_secret"] = SecretFormField(
            label=_("API secret"),
            current=server.api_secret if server else "",
            help_text=_("Janus's api_secret, if the server sets one."),
        )
        self.fields["admin_key"] = SecretFormField(
            label=_("Videoroom admin key"),
            current=server.admin_key if server else "",
            help_text=_("The videoroom plugin's admin_key, if the server requires one to create rooms."),
        )
