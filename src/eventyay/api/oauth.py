"""OAuth2 (django-oauth-toolkit): scopes from core and plugins, and the organizers a user picks.

The consent screen lets the user choose which of their organizers the application may reach.
The choice is stored as an :class:`~eventyay.api.models.OAuthAuthorization` with the
authorization code and follows every token issued from it, through refreshes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled
from oauth2_provider.forms import AllowForm
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView as BaseAuthorizationView

from eventyay.api.models import OAuthAuthorization
from eventyay.base.models import Organizer

CORE_SCOPES = ("read", "write", "profile")


def all_scopes() -> dict[str, str]:
    """Scope name → description: ``read``, ``write``, ``profile`` and those plugins register."""
    from eventyay.base.plugins.manager import collect_records, plugin_manager

    scopes = {name: str(description) for name, description in oauth2_settings.SCOPES.items()}
    for record in collect_records(plugin_manager.hook.register_oauth_scopes):
        scopes.setdefault(record.name, str(record.description))
    return scopes


class ScopesBackend(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return all_scopes()

    def get_available_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any):
        return list(all_scopes())

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any):
        return list(oauth2_settings.DEFAULT_SCOPES)


def _checksum(token: str) -> str:
    """How django-oauth-toolkit finds a token; the token itself may be stored hashed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Validator(OAuth2Validator):
    """Carries the user's organizer choice from the consent screen to every issued token."""

    def save_authorization_code(self, client_id: str, code: dict[str, Any], request: Any, *args, **kwargs):
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        grant = get_grant_model().objects.get(code=code["code"], application=request.client)
        authorization = OAuthAuthorization.objects.create(
            application=request.client, user=request.user, grant=grant
        )
        authorization.organizers.set(getattr(request, "eventyay_organizer_ids", None) or [])

    def validate_code(self, client_id: str, code: str, client: Any, request: Any, *args, **kwargs) -> bool:
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if valid:
            request.eventyay_authorization = OAuthAuthorization.objects.filter(
                grant__code=code, application=client
            ).first()
        return valid

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args, **kwargs) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if valid:
            request.eventyay_authorization = OAuthAuthorization.objects.filter(
                refresh_tokens=request.refresh_token_instance
            ).first()
        return valid

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args, **kwargs) -> None:
        super().save_bearer_token(token, request, *args, **kwargs)
        authorization = getattr(request, "eventyay_authorization", None)
        if authorization is None:
            return
        access = (
            get_access_token_model().objects.filter(token_checksum=_checksum(token["access_token"])).first()
        )
        if access is not None:
            authorization.access_tokens.add(access)
        if token.get("refresh_token"):
            refresh = (
                get_refresh_token_model()
                .objects.filter(token_checksum=_checksum(token["refresh_token"]), revoked__isnull=True)
                .first()
            )
            if refresh is not None:
                authorization.refresh_tokens.add(refresh)


def organizers_of(user: Any) -> QuerySet[Organizer]:
    """The organizers whose teams ``user`` belongs to (all of them for instance administrators)."""
    with scopes_disabled():
        if user.is_superuser:
            return Organizer.objects.all()
        return Organizer.objects.filter(teams__members=user).distinct()


class ConsentForm(AllowForm):
    organizers = forms.ModelMultipleChoiceField(
        label=_("Organizers this application may access"),
        queryset=Organizer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("allow") and not cleaned.get("organizers"):
            self.add_error("organizers", _("Choose at least one organizer, or deny access."))
        return cleaned


class AuthorizationView(BaseAuthorizationView):
    """The consent screen: scopes, plus the organizers the application may access."""

    template_name = "eventyay_control/api/authorize.html"
    form_class = ConsentForm

    def get_form(self, form_class: Any = None) -> ConsentForm:
        form = super().get_form(form_class)
        form.fields["organizers"].queryset = organizers_of(self.request.user)
        return form

    def form_invalid(self, form: ConsentForm) -> Any:
        scopes = (form.data.get("scope") or "").split()
        described = all_scopes()
        from oauth2_provider.models import get_application_model

        application = get_application_model().objects.filter(client_id=form.data.get("client_id")).first()
        return self.render_to_response(
            self.get_context_data(
                form=form,
                application=application,
                scopes=scopes,
                scopes_descriptions=[described.get(scope, scope) for scope in scopes],
            )
        )

    def form_valid(self, form: ConsentForm) -> Any:
        self.eventyay_organizer_ids = [
            organizer.pk for organizer in form.cleaned_data.get("organizers") or []
        ]
        return super().form_valid(form)

    def create_authorization_response(self, request: Any, scopes: Any, credentials: dict, allow: bool):
        ids = getattr(self, "eventyay_organizer_ids", None)
        if ids is None:
            # Approved without the form (``approval_prompt=auto``): keep the user's last choice.
            previous = (
                OAuthAuthorization.objects.filter(
                    application__client_id=credentials.get("client_id"), user=request.user
                )
                .order_by("-created")
                .first()
            )
            ids = list(previous.organizers.values_list("pk", flat=True)) if previous else []
        credentials["eventyay_organizer_ids"] = ids
        return super().create_authorization_response(
            request=request, scopes=scopes, credentials=credentials, allow=allow
        )
