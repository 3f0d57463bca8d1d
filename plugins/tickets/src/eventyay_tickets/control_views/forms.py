"""Forms of the back office; they validate input, the services apply it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from i18nfield.forms import I18nFormField, I18nModelForm
from i18nfield.strings import LazyI18nString

from eventyay.control.forms import BootstrapMixin, bootstrap_widget
from eventyay.control.forms.events import local_datetime_field
from eventyay.control.forms.i18n import I18nTextarea, I18nTextInput
from eventyay_tickets.models import (
    Category,
    CheckinList,
    Order,
    Product,
    ProductVariation,
    Question,
    Quota,
    TaxRule,
    Voucher,
)


class EventModelForm(BootstrapMixin, I18nModelForm):
    """A model form of one event's object: translated fields in the event's languages, choices
    of related objects limited to the event."""

    def __init__(self, *args: Any, event: Any, **kwargs: Any) -> None:
        kwargs.setdefault("locales", event.active_locales)
        super().__init__(*args, **kwargs)
        self.event = event
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                field.widget = forms.DateTimeInput(
                    attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
                )
                field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        limits = {
            "category": Category.objects.filter(event=event),
            "tax_rule": TaxRule.objects.filter(event=event),
            "products": Product.objects.filter(event=event),
            "product": Product.objects.filter(event=event),
            "variations": ProductVariation.objects.filter(product__event=event).select_related("product"),
            "variation": ProductVariation.objects.filter(product__event=event).select_related("product"),
            "quota": Quota.objects.filter(event=event),
        }
        for name, queryset in limits.items():
            limited = self.fields.get(name)
            if isinstance(limited, forms.ModelChoiceField):
                limited.queryset = queryset
        if "position" in self.fields:
            self.fields["position"].required = False

    def clean_position(self) -> int:
        return self.cleaned_data.get("position") or 0


class ProductForm(EventModelForm):
    category: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    tax_rule: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Tax rule"), queryset=TaxRule.objects.none(), required=False
    )
    attendee_name = forms.ChoiceField(
        label=_("Attendee name at checkout"),
        choices=Product.AttendeeName.choices,
        initial=Product.AttendeeName.AUTO,
        required=False,
        help_text=_("A T-shirt usually needs no name; a ticket names the person it admits."),
    )

    def clean_attendee_name(self) -> str:
        # Forms posted without the field (older integrations, tests) keep the automatic rule.
        return self.cleaned_data.get("attendee_name") or Product.AttendeeName.AUTO

    class Meta:
        model = Product
        fields = [
            "name",
            "description",
            "category",
            "price",
            "tax_rule",
            "admission",
            "active",
            "available_from",
            "available_until",
            "min_per_order",
            "max_per_order",
            "require_voucher",
            "hidden",
            "require_approval",
            "attendee_name",
            "position",
        ]


class VariationForm(EventModelForm):
    class Meta:
        model = ProductVariation
        fields = ["value", "price", "active", "position"]


class QuotaForm(EventModelForm):
    products: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    variations: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Variations"),
        queryset=ProductVariation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Quota
        fields = ["name", "size", "products", "variations", "close_when_sold_out", "closed"]


class VoucherForm(EventModelForm):
    product: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    variation: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Variation"), queryset=ProductVariation.objects.none(), required=False
    )
    quota: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Quota"), queryset=Quota.objects.none(), required=False
    )

    class Meta:
        model = Voucher
        fields = [
            "code",
            "max_usages",
            "valid_until",
            "product",
            "variation",
            "quota",
            "price_mode",
            "value",
            "allow_ignore_quota",
            "tag",
            "comment",
        ]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        clash = Voucher.objects.filter(event=self.event, code=code)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("A voucher with this code already exists."))
        return code


class VoucherBulkForm(BootstrapMixin, forms.Form):
    """Generate many vouchers with random codes (optionally with a common prefix)."""

    count = forms.IntegerField(label=_("Number of vouchers"), min_value=1, max_value=5000)
    code_prefix = forms.CharField(label=_("Code prefix"), required=False, max_length=20)
    max_usages = forms.IntegerField(label=_("Maximum usages per voucher"), min_value=1, initial=1)
    valid_until = forms.DateTimeField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    product: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    price_mode = forms.ChoiceField(label=_("Price"), choices=Voucher.PriceMode.choices)
    value = forms.DecimalField(label=_("Value"), min_value=0, decimal_places=2, initial=Decimal("0.00"))
    allow_ignore_quota = forms.BooleanField(
        label=_("May be redeemed when the quota is sold out"), required=False
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=190)

    def __init__(self, *args: Any, event: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_field = self.fields["product"]
        assert isinstance(product_field, forms.ModelChoiceField)
        product_field.queryset = Product.objects.filter(event=event)


class QuestionForm(EventModelForm):
    products: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    options_text = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice questions: one option per line."),
    )

    class Meta:
        model = Question
        fields = ["question", "help_text", "type", "required", "products", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["options_text"].initial = "\n".join(
                str(o.answer) for o in self.instance.options.all()
            )

    def options(self) -> list[dict[str, Any]] | None:
        if self.cleaned_data.get("type") not in (Question.Type.CHOICE, Question.Type.MULTIPLE):
            return None
        lines = [line.strip() for line in self.cleaned_data.get("options_text", "").splitlines()]
        return [{"answer": line, "position": i} for i, line in enumerate(line for line in lines if line)]


class CheckinListForm(EventModelForm):
    products: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CheckinList
        fields = [
            "name",
            "all_products",
            "products",
            "include_pending",
            "allow_multiple_entries",
            "allow_exit",
        ]


class OrderFilterForm(BootstrapMixin, forms.Form):
    """The orders list's search box and filters (GET)."""

    query = forms.CharField(label=_("Search (code, email, attendee)"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *Order.Status.choices, ("approval", _("waiting for approval"))],
    )
    product: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    email = forms.EmailField(label=_("Email"), required=False)
    date_from = forms.DateField(
        label=_("Placed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Placed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, event: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_field = self.fields["product"]
        assert isinstance(product_field, forms.ModelChoiceField)
        product_field.queryset = Product.objects.filter(event=event)


class CancelForm(BootstrapMixin, forms.Form):
    fee = forms.DecimalField(label=_("Cancellation fee"), min_value=0, decimal_places=2, required=False)
    refund = forms.BooleanField(
        label=_("Refund payments automatically where possible"), required=False, initial=True
    )
    send_email = forms.BooleanField(label=_("Notify the buyer"), required=False, initial=True)


class ExtendForm(BootstrapMixin, forms.Form):
    expires = local_datetime_field(_("New payment deadline"), required=True)


class MarkPaidForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Amount received"),
        min_value=0,
        decimal_places=2,
        required=False,
        help_text=_("Empty for the open amount."),
    )
    send_email = forms.BooleanField(label=_("Notify the buyer"), required=False, initial=True)


class RefundForm(BootstrapMixin, forms.Form):
    """A full or partial refund of one payment; prefixed per payment, several fit on one page."""

    amount = forms.DecimalField(
        label=_("Amount to refund"),
        min_value=Decimal("0.01"),
        max_digits=13,
        decimal_places=2,
        required=False,
        help_text=_("Empty for all that is left."),
    )
    #: What was left to refund when the page was shown: a second submit of the same form, or
    #: one after someone else's refund, is refused instead of refunding again.
    left = forms.DecimalField(max_digits=13, decimal_places=2, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if self.has_error("left"):
            # Hidden fields show no errors of their own.
            self.add_error(None, _("This form is outdated; please reload the page."))
        return data


class RedeemForm(forms.Form):
    secret = forms.CharField(label=_("Ticket code"), max_length=190)
    type = forms.ChoiceField(
        label=_("Direction"), choices=[("entry", _("Entry")), ("exit", _("Exit"))], initial="entry"
    )


class DocumentSettingsForm(BootstrapMixin, forms.Form):
    tickets_invoice_generate = forms.ChoiceField(
        label=_("Issue invoices"),
        choices=[
            ("paid", _("when an order is paid")),
            ("placed", _("when an order is placed")),
            ("never", _("only by hand")),
        ],
    )
    tickets_invoice_numbering = forms.ChoiceField(
        label=_("Invoice numbers"),
        choices=[
            ("event", _("one sequence for this event")),
            ("organizer", _("one sequence for all events")),
        ],
    )
    tickets_invoice_prefix = forms.CharField(label=_("Number prefix"), required=False, max_length=60)
    tickets_invoice_digits = forms.IntegerField(label=_("Digits"), min_value=1, max_value=12)
    tickets_invoice_address_from = forms.CharField(
        label=_("Your address (sender)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    tickets_invoice_footer = forms.CharField(
        label=_("Footer (bank, tax id)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tickets_venue = forms.CharField(
        label=_("Venue (printed on tickets)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MailSettingsForm(BootstrapMixin, forms.Form):
    """Every order mail's subject and text in the event's languages, and what mails attach.

    Texts may only use the placeholders the event offers (``mail_placeholders_available``);
    any other ``{name}`` is refused with an error naming it.
    """

    attach_tickets = forms.BooleanField(
        label=_("Attach the ticket PDFs to the payment confirmation"), required=False
    )
    attach_invoice = forms.BooleanField(
        label=_("Attach the invoice PDF to the order and payment mails"), required=False
    )

    def __init__(self, *args: Any, event: Any, placeholders: dict[str, str], **kwargs: Any) -> None:
        from eventyay_tickets.services.notifications import MAIL_TEMPLATES, mail_template_texts

        self.event = event
        self.placeholders = placeholders
        locales = event.active_locales
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("attach_tickets", bool(event.settings.get("tickets_mail_attach_tickets")))
        initial.setdefault("attach_invoice", bool(event.settings.get("tickets_mail_attach_invoice")))
        self.templates = list(MAIL_TEMPLATES)
        fields: dict[str, forms.Field] = {}
        for key, (label, _subject, _text) in MAIL_TEMPLATES.items():
            texts: dict[str, dict[str, str]] = {"subject": {}, "text": {}}
            for locale in locales:
                with translation.override(locale):
                    subject, text = mail_template_texts(event, key)
                texts["subject"][locale] = subject
                texts["text"][locale] = text
            initial.setdefault(f"{key}_subject", LazyI18nString(texts["subject"]))
            initial.setdefault(f"{key}_text", LazyI18nString(texts["text"]))
            fields[f"{key}_subject"] = I18nFormField(
                label=_("%(mail)s: subject") % {"mail": label},
                locales=locales,
                widget=I18nTextInput,
                required=True,
            )
            fields[f"{key}_text"] = I18nFormField(
                label=_("%(mail)s: text") % {"mail": label},
                locales=locales,
                widget=I18nTextarea,
                widget_kwargs={"attrs": {"rows": 8}},
                required=True,
            )
        super().__init__(*args, **kwargs)
        self.fields.update(fields)
        names = dict(settings.LANGUAGES)
        for field in fields.values():
            bootstrap_widget(field.widget)
            if len(locales) > 1:
                # One label stands for several inputs: each says which language it holds.
                for locale, part in zip(locales, field.widget.widgets, strict=True):
                    language = str(names.get(locale, locale))
                    part.attrs.update(title=language, **{"aria-label": f"{field.label} ({language})"})

    def clean(self) -> dict[str, Any]:
        from eventyay_tickets.services.notifications import mail_template_placeholders

        data = super().clean() or {}
        for name, value in list(data.items()):
            if not isinstance(value, LazyI18nString):
                continue
            texts = value.data.values() if isinstance(value.data, dict) else [value.data]
            unknown: set[str] = set()
            try:
                for text in texts:
                    unknown.update(
                        p for p in mail_template_placeholders(text or "") if p not in self.placeholders
                    )
            except ValueError:
                self.add_error(name, _("A curly brace is not closed; write {{ or }} for a literal brace."))
                continue
            if unknown:
                self.add_error(
                    name,
                    _("Unknown placeholders: %(names)s.")
                    % {"names": ", ".join("{" + p + "}" for p in sorted(unknown))},
                )
        return data

    def grouped(self) -> list[dict[str, Any]]:
        """``[{"key", "label", "subject", "text"}]`` (bound fields) in the order of the templates."""
        from eventyay_tickets.services.notifications import MAIL_TEMPLATES

        return [
            {"key": key, "label": label, "subject": self[f"{key}_subject"], "text": self[f"{key}_text"]}
            for key, (label, _subject, _text) in MAIL_TEMPLATES.items()
        ]

    def templates_data(self) -> dict[str, dict[str, dict[str, str]]]:
        """The cleaned texts in the settings' format."""
        result = {}
        for key in self.templates:
            entry = {}
            for part in ("subject", "text"):
                value = self.cleaned_data[f"{key}_{part}"].data
                entry[part] = dict(value) if isinstance(value, dict) else {self.event.locale: value or ""}
            result[key] = entry
        return result
