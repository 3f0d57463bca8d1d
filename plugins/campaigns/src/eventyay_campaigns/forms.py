from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eventyay.base.models import Event, Organizer
from eventyay.control.forms import https_formfield
from eventyay_campaigns.models import Contact, CustomFieldDefinition, Segment
from eventyay_campaigns.selectors import DEFAULT_SORT, SORT_FIELDS, ContactCriteria
from eventyay_campaigns.services.contacts import custom_fields_clean

#: Prefix of the filter parameters naming a custom field: ``cf_<key>=<value>``.
CUSTOM_PREFIX = "cf_"


class ContactFilterForm(forms.Form):
    """The contact filters, shared by the control panel, the API and saved segments.

    Parameter names are the API's query parameters; empty values do not filter.
    """

    search = forms.CharField(label=_("Search name, email, company"), required=False, max_length=200)
    company = forms.CharField(label=_("Company"), required=False, max_length=200)
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=200)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    state = forms.CharField(label=pgettext_lazy("address", "State"), required=False, max_length=100)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=100)
    marketing_consent = forms.NullBooleanField(label=_("Agreed to marketing mail"), required=False)
    events_attended_min = forms.IntegerField(
        label=_("Events attended, at least"), required=False, min_value=0
    )
    events_attended_max = forms.IntegerField(label=_("Events attended, at most"), required=False, min_value=0)
    events_hosted_min = forms.IntegerField(label=_("Events hosted, at least"), required=False, min_value=0)
    attended_event = forms.SlugField(label=_("Attended event (short form)"), required=False)
    bought_product = forms.IntegerField(label=_("Bought product (id)"), required=False, min_value=1)
    registered_from = forms.DateField(label=_("Registered from"), required=False)
    registered_to = forms.DateField(label=_("Registered until"), required=False)
    sort_by = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(name, name) for column in SORT_FIELDS for name in (column, f"-{column}")],
    )

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizer = organizer
        self.definitions = list(CustomFieldDefinition.objects.filter(organizer=organizer))
        for definition in self.definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = forms.CharField(
                label=definition.label, required=False, max_length=200
            )

    def clean_attended_event(self) -> Event | None:
        slug = self.cleaned_data.get("attended_event")
        if not slug:
            return None
        event = Event.objects.filter(organizer=self.organizer, slug=slug).first()
        if event is None:
            raise ValidationError(_("The organizer has no event with this short form."))
        return event

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        low, high = data.get("events_attended_min"), data.get("events_attended_max")
        if low is not None and high is not None and low > high:
            self.add_error("events_attended_max", _("Must not be less than the minimum."))
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            self.add_error("registered_to", _("Must not be before the start."))
        values = {
            d.key: data[CUSTOM_PREFIX + d.key] for d in self.definitions if data.get(CUSTOM_PREFIX + d.key)
        }
        try:
            data["custom_fields"] = custom_fields_clean(organizer=self.organizer, values=values)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                self.add_error(CUSTOM_PREFIX + key.split(".", 1)[1], messages)
        return data

    def criteria(self) -> ContactCriteria:
        """The criteria of a valid form."""
        data = self.cleaned_data
        return ContactCriteria(
            company=data["company"].strip(),
            job_title=data["job_title"].strip(),
            city=data["city"].strip(),
            state=data["state"].strip(),
            country=data["country"].strip(),
            tag=data["tag"].strip(),
            marketing_consent=data["marketing_consent"],
            events_attended_min=data["events_attended_min"],
            events_attended_max=data["events_attended_max"],
            events_hosted_min=data["events_hosted_min"],
            attended_event=data["attended_event"],
            bought_product=data["bought_product"],
            registered_from=data["registered_from"],
            registered_to=data["registered_to"],
            search=data["search"].strip(),
            custom_fields=data.get("custom_fields", {}),
            sort_by=data["sort_by"] or DEFAULT_SORT,
        )

    def stored(self) -> dict[str, Any]:
        """The non-empty parameters of a valid form, as a segment stores them."""
        return {
            name: self.data[name]
            for name in self.fields
            if name != "sort_by" and self.data.get(name) not in (None, "")
        }


class ContactForm(forms.ModelForm):
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))

    class Meta:
        model = Contact
        formfield_callback = https_formfield
        fields = [
            "email",
            "first_name",
            "last_name",
            "phone",
            "avatar",
            "gender",
            "job_title",
            "company",
            "city",
            "state",
            "country",
            "locale",
            "marketing_consent",
            "sms_consent",
        ]

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizer = organizer
        self.definitions = list(CustomFieldDefinition.objects.filter(organizer=organizer))
        instance = kwargs.get("instance")
        if instance is not None and instance.pk:
            self.initial["tags"] = ", ".join(instance.tags.values_list("name", flat=True))
        for definition in self.definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = forms.CharField(
                label=definition.label,
                required=False,
                initial=(instance.custom_fields.get(definition.key, "") if instance is not None else ""),
                help_text=definition.get_type_display(),
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        values = {d.key: data.get(CUSTOM_PREFIX + d.key, "") for d in self.definitions}
        try:
            data["custom_fields"] = custom_fields_clean(organizer=self.organizer, values=values)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                self.add_error(CUSTOM_PREFIX + key.split(".", 1)[1], messages)
        return data

    def validate_unique(self) -> None:
        """Uniqueness of the address is the service's job (it knows the organizer)."""

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["tags"] = [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]
        # Values of fields the organizer removed meanwhile are dropped by replacing them all.
        data["custom_fields"] = {d.key: None for d in self.definitions} | self.cleaned_data.get(
            "custom_fields", {}
        )
        return data


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name"]


class CustomFieldForm(forms.ModelForm):
    choices = forms.CharField(
        label=_("Choices"), required=False, help_text=_("For choice fields: the values, separated by commas.")
    )

    class Meta:
        model = CustomFieldDefinition
        fields = ["key", "label", "type"]

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizer = organizer

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if CustomFieldDefinition.objects.filter(organizer=self.organizer, key=key).exists():
            raise ValidationError(_("A field with this key exists already."))
        return key

    def clean_choices(self) -> list[str]:
        return [c.strip() for c in (self.cleaned_data.get("choices") or "").split(",") if c.strip()]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("type") == CustomFieldDefinition.Type.CHOICE and not data.get("choices"):
            self.add_error("choices", _("A choice field needs choices."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))


class MergeForm(forms.Form):
    duplicate = forms.EmailField(
        label=_("Merge the contact with this email address into the one shown"),
        help_text=_("Its history and tags move here; then it is deleted."),
    )

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact

    def clean_duplicate(self) -> Contact:
        email = self.cleaned_data["duplicate"].strip().lower()
        duplicate = (
            Contact.objects.filter(organizer_id=self.contact.organizer_id, email_key=email)
            .exclude(pk=self.contact.pk)
            .first()
        )
        if duplicate is None:
            raise ValidationError(_("No other contact has this address."))
        return duplicate
