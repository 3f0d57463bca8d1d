"""Forms: the plugin's per-event settings and the shop's checkout steps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

#: The plugin's per-event settings and their defaults: ``tickets_settings`` merges the stored
#: values over these without building the form, and the form below shows them as initial values.
SETTINGS_DEFAULTS: dict[str, Any] = {
    "reservation_minutes": 30,
    "payment_term_days": 7,
    "terms_url": "",
    "cancel_allowed": False,
    "cancel_fee": 0,
    "attendee_edit_days": 1,
    "mail_from_label": "",
    "refund_over_quota": False,
}


class TicketsSettingsForm(forms.Form):
    """Per-event settings of the ticket shop, stored as the plugin's event settings."""

    reservation_minutes = forms.IntegerField(
        label=_("Reservation time (minutes)"),
        min_value=1,
        max_value=24 * 60,
        initial=SETTINGS_DEFAULTS["reservation_minutes"],
        help_text=_("How long products in a cart are held for the shopper."),
    )
    payment_term_days = forms.IntegerField(
        label=_("Payment term (days)"),
        min_value=0,
        max_value=365,
        initial=SETTINGS_DEFAULTS["payment_term_days"],
    )
    terms_url = forms.URLField(
        label=_("Terms and conditions (link)"),
        required=False,
        initial=SETTINGS_DEFAULTS["terms_url"],
        assume_scheme="https",
    )
    cancel_allowed = forms.BooleanField(
        label=_("Attendees may cancel unpaid and free orders"),
        required=False,
        initial=SETTINGS_DEFAULTS["cancel_allowed"],
    )
    cancel_fee = forms.DecimalField(
        label=_("Cancellation fee"),
        min_value=0,
        decimal_places=2,
        required=False,
        initial=SETTINGS_DEFAULTS["cancel_fee"],
    )
    attendee_edit_days = forms.IntegerField(
        label=_("Attendee details can be changed until this many days before the event"),
        min_value=0,
        initial=SETTINGS_DEFAULTS["attendee_edit_days"],
    )
    mail_from_label = forms.CharField(
        label=_("Signature in emails"), required=False, initial=SETTINGS_DEFAULTS["mail_from_label"]
    )
    refund_over_quota = forms.BooleanField(
        label=_("Refund payments that arrive after the quota is gone"),
        required=False,
        initial=SETTINGS_DEFAULTS["refund_over_quota"],
        help_text=_(
            "A payment for an expired order whose products sold out meanwhile is always recorded. "
            "Without this, the order is flagged for you to mark it paid anyway or refund it; "
            "with this, it is canceled and refunded at once."
        ),
    )

    def __init__(self, *args: Any, event: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event

    def clean_cancel_fee(self) -> str:
        # Stored as JSON; a string keeps the decimal exact.
        return str(self.cleaned_data.get("cancel_fee") or 0)


class ContactForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), help_text=_("We send your order confirmation here."))
    email_repeat = forms.EmailField(label=_("Email address (again)"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if (
            data.get("email")
            and data.get("email_repeat")
            and data["email"].lower() != data["email_repeat"].lower()
        ):
            self.add_error("email_repeat", _("The two email addresses do not match."))
        return data


def _question_field(question: Any) -> forms.Field:
    from eventyay_tickets.models import Question

    label = str(question.question)
    help_text = str(question.help_text or "")
    required = question.required
    options = [(o.identifier, str(o.answer)) for o in question.options.all()]
    if question.type == Question.Type.NUMBER:
        return forms.DecimalField(label=label, help_text=help_text, required=required)
    if question.type == Question.Type.CHOICE:
        return forms.ChoiceField(
            label=label, help_text=help_text, required=required, choices=[("", "—"), *options]
        )
    if question.type == Question.Type.MULTIPLE:
        return forms.MultipleChoiceField(
            label=label,
            help_text=help_text,
            required=required,
            choices=options,
            widget=forms.CheckboxSelectMultiple,
        )
    if question.type == Question.Type.BOOLEAN:
        return forms.BooleanField(label=label, help_text=help_text, required=required)
    if question.type == Question.Type.DATE:
        return forms.DateField(
            label=label,
            help_text=help_text,
            required=required,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
    if question.type == Question.Type.FILE:
        return forms.FileField(label=label, help_text=help_text, required=required)
    return forms.CharField(label=label, help_text=help_text, required=required, max_length=5000)


class AttendeeForm(forms.Form):
    """Attendee details and the product's questions for one cart position."""

    attendee_name = forms.CharField(label=_("Attendee name"), max_length=255, required=False)
    attendee_email = forms.EmailField(label=_("Attendee email"), required=False)

    def __init__(self, *args: Any, position: Any, questions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.position = position
        self.questions = questions
        product = position.product
        if product.asks_attendee_name:
            self.fields["attendee_name"].required = product.requires_attendee_name
        else:
            # A T-shirt asks for no name unless the product says so (Product.attendee_name).
            del self.fields["attendee_name"]
            del self.fields["attendee_email"]
        for question in questions:
            self.fields[f"question_{question.pk}"] = _question_field(question)

    def answers(self, *, event: Any, cart_id: str) -> list[dict[str, Any]]:
        """Answers in the service's format; uploads are kept for ``cart_id`` and named by path."""
        from eventyay_tickets.models import Question
        from eventyay_tickets.services.validation import cart_upload_save

        result = []
        for question in self.questions:
            value = self.cleaned_data.get(f"question_{question.pk}")
            if value is None or value in ("", []):
                continue
            if question.type == Question.Type.FILE:
                stored = cart_upload_save(event=event, cart_id=cart_id, upload=value)
                result.append({"question": question.pk, "answer": stored, "file_name": value.name})
                continue
            if question.type == Question.Type.MULTIPLE:
                result.append({"question": question.pk, "options": list(value)})
                continue
            if question.type == Question.Type.DATE:
                value = value.isoformat()
            elif question.type == Question.Type.BOOLEAN:
                value = "true" if value else "false"
            result.append({"question": question.pk, "answer": str(value)})
        return result


def mark_errors(forms_in_order: list[forms.Form]) -> None:
    """Tie each error to its field for screen readers and put the focus on the first one.

    Bound, invalid forms only: the invalid inputs get ``aria-invalid`` and point at their
    message (``aria-describedby``); the first invalid field of the page gets ``autofocus``, so
    the browser moves there without any script.
    """
    focused = False
    for form in forms_in_order:
        if not form.is_bound or not form.errors:
            continue
        for name, field in form.fields.items():
            if name not in form.errors:
                continue
            attrs = field.widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{form[name].auto_id}_error"
            attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
            if not focused:
                attrs["autofocus"] = True
                focused = True


class ConfirmForm(forms.Form):
    def __init__(self, *args: Any, terms_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if terms_url:
            self.fields["accept_terms"] = forms.BooleanField(
                label=_("I accept the terms and conditions."), required=True
            )
