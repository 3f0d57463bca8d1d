"""OAuth applications and the authorizations users gave them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from eventyay.api.models import OAuthAuthorization
from eventyay.base.models import User

Application = get_application_model()


def oauth_application_save(
    *,
    user: User,
    name: str,
    redirect_uris: str,
    client_type: str,
    application: Any = None,
) -> tuple[Any, str | None]:
    """Register an application for ``user``, or change ``application``.

    Returns it with the client secret when one was generated (new confidential clients): the
    secret is stored hashed, so this is the only time it can be shown.
    """
    with transaction.atomic():
        secret = None
        if application is None:
            secret = generate_client_secret()
            application = Application(
                user=user,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                client_secret=secret,
            )
        application.name = name
        application.redirect_uris = " ".join(redirect_uris.split())
        application.client_type = client_type
        application.full_clean(exclude=["client_secret"])
        application.save()
    return application, (secret if client_type == Application.CLIENT_CONFIDENTIAL else None)


def oauth_application_delete(*, application: Any) -> None:
    """Delete an application; every token issued to it stops working."""
    application.delete()


def oauth_authorization_revoke(*, user: User, application: Any) -> None:
    """Take back everything ``user`` granted ``application``: codes, tokens and organizer choices."""
    with transaction.atomic():
        get_grant_model().objects.filter(user=user, application=application).delete()
        for token in get_refresh_token_model().objects.filter(
            user=user, application=application, revoked__isnull=True
        ):
            token.revoke()
        get_access_token_model().objects.filter(user=user, application=application).delete()
        OAuthAuthorization.objects.filter(user=user, application=application).delete()
