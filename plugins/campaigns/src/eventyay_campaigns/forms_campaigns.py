"""Forms of the campaign pages; the rules are checked again by the campaign services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import Organizer
from eventyay_campaigns.channels import channels_all
from eventyay_campaigns.models import UTM_FIELDS, Campaign, Contact, Segment
from eventyay_campaigns.services.sending import MAX_RATE


class CampaignForm(forms.ModelForm):
    # Declared here: a model field's default choices would query segments outside any scope.
    segment: forms.ModelChoiceField[Segment] = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.none(),
        required=False,
        help_text=_("Leave empty to use the filters below."),
    )

    class Meta:
        model = Campaign
        fields = ["name", "channel", "segment", "subject", "body", "sender", *UTM_FIELDS, "track_opens"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
        help_texts = {
            "body": _(
                "Markdown. Placeholders: {first_name}, {last_name}, {email}, {company}, {job_title}, "
                "{city}, {organizer} and the keys of your custom fields."
            ),
            "sender": _("Name <address>; empty for the default sender."),
            "track_opens": _(
                "Adds an invisible image. Opens are indicative only: mail clients load or block it."
            ),
        }

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["segment"]).queryset = Segment.objects.filter(
            organizer=organizer
        )
        self.fields["channel"] = forms.ChoiceField(
            label=_("Channel"),
            choices=[(identifier, str(channel.label)) for identifier, channel in channels_all().items()],
            initial="email",
        )


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class PreviewForm(forms.Form):
    contact: forms.ModelChoiceField[Contact] = forms.ModelChoiceField(
        label=_("Preview for"), queryset=Contact.objects.none(), required=False
    )

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A choice of the first contacts; any contact is reachable by its id in the URL.
        cast(forms.ModelChoiceField, self.fields["contact"]).queryset = Contact.objects.filter(
            organizer=organizer
        ).order_by("last_name", "id")


class RateForm(forms.Form):
    rate = forms.IntegerField(
        label=_("Messages per minute"),
        min_value=1,
        max_value=MAX_RATE,
        help_text=_("Shared by all campaigns of the organizer that send at the same time."),
    )
