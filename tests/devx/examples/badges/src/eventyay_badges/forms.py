from django import forms


class BadgeSettingsForm(forms.Form):
    """Per-event settings; eventyay stores the cleaned data with the event's plugin state."""

    paper_size = forms.ChoiceField(choices=[("a6", "A6"), ("letter", "Letter")], initial="a6")
    show_company = forms.BooleanField(required=False)

    def __init__(self, *args, event, **kwargs):
        self.event = event
        super().__init__(*args, **kwargs)


class ItemForm(forms.Form):
    """The control page's form adding a badge."""

    name = forms.CharField(max_length=200)
