"""Forms of the automation pages: rules with their actions, message templates, SMS settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import Event, Organizer
from eventyay.base.secrets import SecretFormField
from eventyay_campaigns.channels import channels_all
from eventyay_campaigns.models import AutomationAction, AutomationRule, MessageTemplate, SmsSettings

#: Action rows the rule form offers (empty rows are ignored).
ACTION_ROWS = 4


class RuleForm(forms.ModelForm):
    # Declared (not derived from the model) so that no query runs outside a scope at import.
    event: forms.ModelChoiceField[Event] = forms.ModelChoiceField(
        label=_("Event"),
        queryset=None,
        required=False,
        help_text=_("For event triggers: only this event (any of your events when empty)."),
    )
    conditions_text = forms.CharField(
        label=_("Conditions"),
        required=False,
        help_text=_("Contact filter parameters as in the contacts API, e.g. city=Berlin&tag=vip."),
    )

    class Meta:
        model = AutomationRule
        fields = ["name", "trigger", "tag", "event", "offset_minutes"]

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event_field = self.fields["event"]
        assert isinstance(event_field, forms.ModelChoiceField)
        event_field.queryset = Event.objects.filter(organizer=organizer)
        if self.instance.pk:
            self.initial["conditions_text"] = urlencode(self.instance.conditions)

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["conditions"] = dict(parse_qsl(self.cleaned_data["conditions_text"].strip()))
        return data


class ActionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *AutomationAction.Kind.choices]
    )
    delay_minutes = forms.IntegerField(label=_("Delay (minutes)"), required=False, min_value=0)
    template: forms.ModelChoiceField[MessageTemplate] = forms.ModelChoiceField(
        label=_("Message template"), required=False, queryset=None
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=100)
    webhook_url = forms.URLField(
        label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https"
    )

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = MessageTemplate.objects.filter(organizer=organizer)

    def service_data(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        template = data.get("template")
        return {
            "kind": data["kind"],
            "delay_minutes": data.get("delay_minutes") or 0,
            "template": template.pk if template else None,
            "tag": data.get("tag") or "",
            "webhook_url": data.get("webhook_url") or "",
        }


def action_forms(
    organizer: Organizer, data: Any = None, rule: AutomationRule | None = None
) -> list[ActionForm]:
    initial: list[dict[str, Any]] = []
    if rule is not None and data is None:
        initial = [
            {
                "kind": a.kind,
                "delay_minutes": a.delay_minutes,
                "template": a.template_id,
                "tag": a.tag,
                "webhook_url": a.webhook_url,
            }
            for a in rule.actions.all()
        ]
    rows = max(ACTION_ROWS, len(initial) + 1)
    return [
        ActionForm(
            data, organizer=organizer, prefix=f"action{i}", initial=initial[i] if i < len(initial) else None
        )
        for i in range(rows)
    ]


class TemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["name", "channel", "subject", "body"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"] = forms.ChoiceField(
            label=_("Channel"), choices=[(c.identifier, c.label) for c in channels_all().values()]
        )


class SmsSettingsForm(forms.ModelForm):
    class Meta:
        model = SmsSettings
        fields = ["backend", "account_sid", "auth_token", "sender"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["auth_token"] = SecretFormField(label=_("Auth token"), current=self.instance.auth_token)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("backend") == SmsSettings.Backend.TWILIO:
            for name in ("account_sid", "auth_token", "sender"):
                if not data.get(name):
                    self.add_error(name, _("Twilio needs this."))
        return data
