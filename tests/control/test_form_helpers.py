"""Helpers shared by the control panel's forms."""

from __future__ import annotations

import warnings

import pytest
from django import forms

from eventyay.base.models import WebHook
from eventyay.control.forms import https_formfield


def test_a_model_form_with_https_formfield_reads_addresses_without_a_scheme_as_https():
    with warnings.catch_warnings():
        # Django 5 warns when a URL form field is built without a scheme to assume.
        warnings.simplefilter("error")

        class WebhookForm(forms.ModelForm):
            class Meta:
                model = WebHook
                fields = ["target_url"]
                formfield_callback = https_formfield

    form = WebhookForm(data={"target_url": "hooks.example.org/in"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["target_url"] == "https://hooks.example.org/in"
    assert WebhookForm(data={"target_url": "http://hooks.example.org/in"}).is_valid()


@pytest.mark.parametrize("value", ["", "no spaces allowed.org x"])
def test_https_formfield_keeps_the_model_fields_validation(value):
    class WebhookForm(forms.ModelForm):
        class Meta:
            model = WebHook
            fields = ["target_url"]
            formfield_callback = https_formfield

    assert not WebhookForm(data={"target_url": value}).is_valid()
