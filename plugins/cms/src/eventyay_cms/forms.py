from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from eventyay.base.secrets import SecretFormField
from eventyay_cms.models import Connection
from eventyay_cms.services.registry import connector_types

PULL_CHOICES = (("pages", _("Pages")), ("posts", _("Posts")))
PUSH_CHOICES = (("schedule", _("Schedule and sessions")), ("speakers", _("Speakers")))


class ConnectionForm(forms.Form):
    """The control panel's connection form; the service validates against the connector type."""

    type = forms.ChoiceField(label=_("CMS"))
    name = forms.CharField(label=_("Name"), required=False, max_length=190)
    base_url = forms.URLField(label=_("Base URL"), max_length=500, assume_scheme="https")
    username = forms.CharField(label=_("User name"), required=False, max_length=190)
    pull = forms.MultipleChoiceField(
        label=_("Pull"), choices=PULL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    push = forms.MultipleChoiceField(
        label=_("Push"), choices=PUSH_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    conflict_policy = forms.ChoiceField(
        label=_("When the CMS copy was edited"), choices=Connection.ConflictPolicy.choices
    )

    def __init__(self, *args: Any, connection: Connection | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(t.identifier, t.label) for t in connector_types().values()]
        self.fields["type"].choices = choices  # type: ignore[attr-defined]
        self.fields["password"] = SecretFormField(
            label=_("Application password"),
            current=connection.password if connection else "",
            help_text=_(
                "WordPress: Users → Profile → Application passwords. Wagtail: the companion's "
                "EVENTYAY_COMPANION_SECRET, needed to push."
            ),
        )
        if connection is not None:
            self.fields["type"].disabled = True

    def clean_password(self) -> str:
        # SecretFormField returns the stored (encrypted) value; the service takes plain text,
        # so only a newly typed value is passed on.
        return str(self.data.get("password") or "")
