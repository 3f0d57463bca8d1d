from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework import authentication, exceptions

from eventyay.base.models import TeamAPIToken


class TeamTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <secret>``: acts with the permissions of the token's team."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, TeamAPIToken]:
        with scopes_disabled():
            token = (
                TeamAPIToken.objects.select_related("team__organizer")
                .filter(token_hash=TeamAPIToken.hash(key), active=True)
                .first()
            )
            if token is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            if token.last_used is None or (timezone.now() - token.last_used).total_seconds() > 60:
                TeamAPIToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
        return TokenUser(token), token


class TokenUser:
    """The request's ``user`` for token requests: authenticated, but no person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None
    id = None

    def __init__(self, token: TeamAPIToken) -> None:
        self.token = token

    def __str__(self) -> str:
        return f"API token {self.token}"
