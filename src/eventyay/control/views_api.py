"""Control panel pages for API access: OAuth applications, authorized applications, webhooks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_access_token_model, get_application_model

from eventyay.api.models import OAuthAuthorization
from eventyay.api.services import oauth_application_delete, oauth_application_save, oauth_authorization_revoke
from eventyay.base.models import Event, Organizer, WebHook, WebHookDelivery
from eventyay.base.services.webhooks import (
    webhook_action_types,
    webhook_delete,
    webhook_delivery_retry,
    webhook_save,
)
from eventyay.control.forms import BootstrapMixin, add_service_errors
from eventyay.control.permissions import organizer_view

Application = get_application_model()
SETTINGS = "organizer.settings:write"
#: Session key holding a new application's client secret until its page shows it (once).
NEW_SECRET = "eventyay_new_client_secret"


class ApplicationForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=255)
    redirect_uris = forms.CharField(
        label=gettext_lazy("Redirect URIs"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line. The application may only send users back to these."),
    )
    client_type = forms.ChoiceField(
        label=gettext_lazy("Client type"),
        choices=[
            (Application.CLIENT_CONFIDENTIAL, gettext_lazy("Confidential (a server that can keep a secret)")),
            (Application.CLIENT_PUBLIC, gettext_lazy("Public (a mobile or browser app; uses PKCE only)")),
        ],
        widget=forms.RadioSelect,
    )


def _own_application(request: HttpRequest, pk: int) -> object:
    return get_object_or_404(Application, pk=pk, user=request.user)


def _save_application(request: HttpRequest, form: ApplicationForm, application: object) -> object | None:
    try:
        saved, secret = oauth_application_save(
            user=request.user,  # type: ignore[arg-type]
            application=application,
            **form.cleaned_data,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    if secret:
        request.session[NEW_SECRET] = secret
    return saved


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        application = _save_application(request, form, None)
        if application is not None:
            messages.success(request, _("The application has been registered."))
            return redirect("control:api.application", pk=application.pk)  # type: ignore[attr-defined]
    applications = Application.objects.filter(user=request.user).order_by("name")
    return render(
        request, "eventyay_control/api/applications.html", {"applications": applications, "form": form}
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    initial = {
        "name": application.name,  # type: ignore[attr-defined]
        "redirect_uris": "\n".join(application.redirect_uris.split()),  # type: ignore[attr-defined]
        "client_type": application.client_type,  # type: ignore[attr-defined]
    }
    form = ApplicationForm(data=request.POST if request.method == "POST" else None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save_application(request, form, application) is not None
    ):
        messages.success(request, _("Your changes have been saved."))
        return redirect("control:api.application", pk=pk)
    return render(
        request,
        "eventyay_control/api/application.html",
        {"application": application, "form": form, "new_secret": request.session.pop(NEW_SECRET, None)},
    )


@require_POST
@login_required
def application_delete(request: HttpRequest, pk: int) -> HttpResponse:
    oauth_application_delete(application=_own_application(request, pk))
    messages.success(request, _("The application has been deleted."))
    return redirect("control:api.applications")


@login_required
def authorized_list(request: HttpRequest) -> HttpResponse:
    """The applications that may act for the user now, with scopes and organizers."""
    tokens = (
        get_access_token_model()
        .objects.filter(user=request.user, expires__gt=timezone.now())
        .select_related("application")
        .prefetch_related(
            Prefetch(
                "eventyay_authorizations",
                queryset=OAuthAuthorization.objects.prefetch_related("organizers"),
            )
        )
        .order_by("application__name", "-created")
    )
    authorized: dict[int, dict] = {}
    for token in tokens:
        entry = authorized.setdefault(
            token.application_id,
            {"application": token.application, "scopes": set(), "organizers": set(), "since": token.created},
        )
        entry["scopes"].update(token.scope.split())
        for authorization in token.eventyay_authorizations.all():
            entry["organizers"].update(organizer.name for organizer in authorization.organizers.all())
    rows = [
        {**entry, "scopes": sorted(entry["scopes"]), "organizers": sorted(entry["organizers"])}
        for entry in authorized.values()
    ]
    return render(request, "eventyay_control/api/authorized.html", {"authorized": rows})


@require_POST
@login_required
def authorized_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application, pk=pk)
    oauth_authorization_revoke(user=request.user, application=application)  # type: ignore[arg-type]
    messages.success(request, _("“%s” can no longer access your account.") % application.name)
    return redirect("control:api.authorized")


class WebHookForm(BootstrapMixin, forms.Form):
    target_url = forms.URLField(label=gettext_lazy("Target URL"), max_length=255, assume_scheme="https")
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)
    all_events = forms.BooleanField(
        label=gettext_lazy("All events (including future ones)"), required=False, initial=True
    )
    limit_events: forms.ModelMultipleChoiceField[Event] = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Only these events"),
        queryset=Event.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    action_types = forms.MultipleChoiceField(
        label=gettext_lazy("Send these actions"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organizer: Organizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["limit_events"].queryset = Event.objects.filter(organizer=organizer)  # type: ignore[attr-defined]
        self.fields["action_types"].choices = sorted(webhook_action_types().items())  # type: ignore[attr-defined]


def _webhook_response(request: HttpRequest, form: WebHookForm, hook: WebHook | None) -> HttpResponse | None:
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = webhook_save(
            organizer=request.organizer,  # type: ignore[attr-defined]
            webhook=hook,
            actor=request.user,
            **form.cleaned_data,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, _("The webhook has been saved."))
    return redirect("control:organizer.webhook", organizer=saved.organizer.slug, pk=saved.pk)


@organizer_view(SETTINGS)
def webhook_list(request: HttpRequest, organizer: str) -> HttpResponse:
    hooks = WebHook.objects.filter(organizer=request.organizer).prefetch_related("limit_events")  # type: ignore[attr-defined]
    return render(request, "eventyay_control/api/webhooks.html", {"webhooks": hooks})


@organizer_view(SETTINGS)
def webhook_create(request: HttpRequest, organizer: str) -> HttpResponse:
    form = WebHookForm(data=request.POST if request.method == "POST" else None, organizer=request.organizer)  # type: ignore[attr-defined]
    return _webhook_response(request, form, None) or render(
        request, "eventyay_control/api/webhook.html", {"form": form, "webhook": None}
    )


@organizer_view(SETTINGS)
def webhook_detail(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    hook = get_object_or_404(WebHook, organizer=request.organizer, pk=pk)  # type: ignore[attr-defined]
    initial = {
        "target_url": hook.target_url,
        "enabled": hook.enabled,
        "all_events": hook.all_events,
        "limit_events": list(hook.limit_events.all()),
        "action_types": list(hook.action_types),
    }
    form = WebHookForm(
        data=request.POST if request.method == "POST" else None,
        organizer=request.organizer,  # type: ignore[attr-defined]
        initial=initial,
    )
    return _webhook_response(request, form, hook) or render(
        request, "eventyay_control/api/webhook.html", {"form": form, "webhook": hook}
    )


@require_POST
@organizer_view(SETTINGS)
def webhook_delete_view(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    hook = get_object_or_404(WebHook, organizer=request.organizer, pk=pk)  # type: ignore[attr-defined]
    webhook_delete(webhook=hook, actor=request.user)
    messages.success(request, _("The webhook has been deleted."))
    return redirect("control:organizer.webhooks", organizer=organizer)


@organizer_view(SETTINGS)
def webhook_deliveries(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    hook = get_object_or_404(WebHook, organizer=request.organizer, pk=pk)  # type: ignore[attr-defined]
    page = Paginator(WebHookDelivery.objects.filter(webhook=hook), 50).get_page(request.GET.get("page"))
    return render(request, "eventyay_control/api/deliveries.html", {"webhook": hook, "page": page})


@require_POST
@organizer_view(SETTINGS)
def webhook_delivery_retry_view(request: HttpRequest, organizer: str, pk: int, delivery: int) -> HttpResponse:
    hook = get_object_or_404(WebHook, organizer=request.organizer, pk=pk)  # type: ignore[attr-defined]
    webhook_delivery_retry(
        delivery=get_object_or_404(WebHookDelivery, webhook=hook, pk=delivery), actor=request.user
    )
    messages.success(request, _("The delivery will be sent again."))
    return redirect("control:organizer.webhook.deliveries", organizer=organizer, pk=pk)
