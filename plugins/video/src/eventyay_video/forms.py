from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from eventyay.base.secrets import SecretFormField
from eventyay.control.forms import https_formfield
from eventyay_video.models import BBBServer, JanusServer, Module, Restriction, Room, StreamingServer


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
    url = forms.URLField(
        label=_("URL (stream, player or call link)"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "For the networking roulette: the Jitsi server for calls when no Janus server is active."
        ),
    )
    fallback_url = forms.URLField(
        label=_("Fallback stream (HLS)"),
        required=False,
        assume_scheme="https",
        help_text=_("Played while the primary stream is down."),
    )
    room_stream = forms.BooleanField(
        label=_("Play the room's stream from the streaming server"), required=False
    )
    record = forms.BooleanField(label=_("Allow recording of the call"), required=False)
    moderator_traits = forms.CharField(
        label=_("Call moderators by trait"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, e.g. role:speaker; room moderators always moderate the call."),
    )
    content = forms.CharField(
        label=_("Page content"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    order = forms.IntegerField(label=_("Position"), min_value=0, initial=0)

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            key: self.cleaned_data.get(key) or ""
            for key in ("url", "fallback_url", "content", "moderator_traits")
        }
        config["record"] = bool(self.cleaned_data.get("record"))
        if self.cleaned_data.get("room_stream"):
            config["source"] = "server"
        return config


class BBBServerForm(forms.ModelForm):
    url = forms.URLField(
        label=_("API URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("As bbb-conf --secret prints it, e.g. https://bbb.example.org/bigbluebutton/"),
    )
    secret = forms.CharField(
        label=_("Shared secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("From bbb-conf --secret. Leave empty to keep the stored one."),
    )

    class Meta:
        model = BBBServer
        fields = ["url", "checksum", "weight", "max_rooms", "active"]
        formfield_callback = https_formfield


class StreamingServerForm(forms.ModelForm):
    class Meta:
        model = StreamingServer
        fields = ["name", "ingest_url_template", "playback_url_template", "active"]


class RoomStreamForm(forms.Form):
    server: forms.ModelChoiceField[StreamingServer] = forms.ModelChoiceField(
        label=_("Streaming server"), queryset=None
    )
    fallback_url = forms.URLField(
        label=_("Fallback stream (HLS)"),
        required=False,
        assume_scheme="https",
        help_text=_("Played while the primary stream is down."),
    )

    def __init__(self, *args: Any, organizer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        server_field = cast("forms.ModelChoiceField[StreamingServer]", self.fields["server"])
        server_field.queryset = StreamingServer.objects.filter(organizer=organizer, active=True)


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
            kwargs.setdefault(
                "initial", {"url": server.url, "active": server.active, "weight": server.weight}
            )
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
