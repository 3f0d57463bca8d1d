"""The public double opt-in sign-up of an organizer's contacts.

``/_signup/<organizer>/`` shows the form; sending it mails a confirmation link and changes
nothing else. The link's page (``GET``) only asks to confirm, because mail scanners open every
link of a message; its button (``POST``) records the consent. Available where the campaigns
plugin is switched on for the organizer.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer
from eventyay.base.models.organizer import OrganizerPlugin
from eventyay_campaigns.services import signup as signup_services

#: Sign-ups per client address, in django-ratelimit's notation.
SIGNUP_RATE_LIMIT = getattr(settings, "CAMPAIGNS_SIGNUP_RATE_LIMIT", "5/m")
PLUGIN = "campaigns"


class SignupForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    consent = forms.BooleanField(
        label=_("I want to receive news by email and may unsubscribe at any time."), required=True
    )


def _organizer(slug: str) -> Organizer:
    with scopes_disabled():
        organizer = Organizer.objects.filter(slug=slug).first()
        if (
            organizer is None
            or not OrganizerPlugin.objects.filter(organizer=organizer, name=PLUGIN, enabled=True).exists()
        ):
            raise Http404()
    return organizer


def _rate_limited(request: HttpRequest, organizer: Organizer) -> bool:
    from django_ratelimit.core import is_ratelimited

    return bool(
        is_ratelimited(
            request,
            group=f"campaigns:signup:{organizer.pk}",
            key="ip",
            rate=SIGNUP_RATE_LIMIT,
            increment=True,
        )
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest, organizer: str) -> HttpResponse:
    org = _organizer(organizer)
    form = SignupForm(request.POST if request.method == "POST" else None)
    context = {"organizer": org, "form": form, "sent": False}
    if request.method == "POST":
        if _rate_limited(request, org):
            response = render(
                request, "eventyay_campaigns/public/signup.html", {**context, "limited": True}, status=429
            )
            response["Retry-After"] = "60"
            return response
        if not form.is_valid():
            return render(request, "eventyay_campaigns/public/signup.html", context, status=400)
        with scope(organizer=org):
            signup_services.signup_request(
                organizer=org,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                confirm_url=request.build_absolute_uri("/").rstrip("/"),
            )
        # The same answer for every address: the page tells nobody whether it is known.
        context["sent"] = True
    return render(request, "eventyay_campaigns/public/signup.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup_confirm(request: HttpRequest, organizer: str, token: str) -> HttpResponse:
    org = _organizer(organizer)
    template = "eventyay_campaigns/public/signup_confirm.html"
    try:
        data = signup_services.signup_data(organizer=org, token=token)
    except signup_services.SignupTokenInvalid:
        return render(request, template, {"organizer": org, "invalid": True}, status=400)
    if request.method != "POST":
        return render(request, template, {"organizer": org, "email": data["e"]})
    with scope(organizer=org):
        signup_services.signup_confirm(organizer=org, token=token)
    return render(request, template, {"organizer": org, "email": data["e"], "done": True})
