"""API token authentication, with the token and its team's permissions kept in the shared cache.

Every API request names its token. Looking it up costs a three-table statement (and the planning
of it) and the team's event permissions another; together about a tenth of a ticket order's
work. With a shared cache (Redis) the token, its team, organizer and :class:`Grant` are kept
under the token's hash, next to a *generation*: a random value that every change to the token,
its team (permissions, events), the organizer or the organizer's events replaces, at once and
again when the change commits. An entry is only used while its generation is current, so a
revoked token is refused by the next request of every server process, including a request that
read the token from the database just before the revocation committed and cached it just after.
With a cache per process (the embedded mode) the token is read from the database every time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework import authentication, exceptions

from eventyay.base.models import Event, Organizer, Team, TeamAPIToken
from eventyay.base.permissions import Grant, grant_for_team
from eventyay.base.services import cache as page_cache

#: Seconds a cached token is kept. Changes invalidate it at once; the timeout only bounds memory.
TOKEN_TIMEOUT = 600

#: Seconds between two writes of a token's ``last_used``.
LAST_USED_EVERY = 60

#: Attribute of a cached token holding its team's :class:`Grant` (read by ``api_grant``).
GRANT_ATTR = "_eventyay_grant"


def _entry_key(token_hash: str) -> str:
    return f"{page_cache.KEY_NAMESPACE}api-token:{token_hash}"


def _generation_key(token_hash: str) -> str:
    return f"{page_cache.KEY_NAMESPACE}api-token-generation:{token_hash}"


def cached_grant(token: TeamAPIToken) -> Grant | None:
    """The team's permissions stored with a token read from the cache; None if read from the database."""
    return getattr(token, GRANT_ATTR, None)


class TeamTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <secret>``: acts with the permissions of the token's team."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, TeamAPIToken]:
        token_hash = TeamAPIToken.hash(key)
        if page_cache.cache_is_shared():
            token = _cached_token(token_hash)
        else:
            token = _stored_token(token_hash)
            if token is not None:
                _touch(token)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return TokenUser(token), token


def _stored_token(token_hash: str) -> TeamAPIToken | None:
    with scopes_disabled():
        return (
            TeamAPIToken.objects.select_related("team__organizer")
            .filter(token_hash=token_hash, active=True)
            .first()
        )


def _touch(token: TeamAPIToken) -> bool:
    """Record the use of ``token`` at most once a minute; True if it was written."""
    now = timezone.now()
    if token.last_used is not None and (now - token.last_used).total_seconds() <= LAST_USED_EVERY:
        return False
    with scopes_disabled():
        TeamAPIToken.objects.filter(pk=token.pk).update(last_used=now)
    token.last_used = now
    return True


def _cached_token(token_hash: str) -> TeamAPIToken | None:
    entry_key, generation_key = _entry_key(token_hash), _generation_key(token_hash)
    found = cache.get_many([entry_key, generation_key])
    generation = found.get(generation_key)
    entry = found.get(entry_key)
    if generation is not None and entry is not None and entry[0] == generation:
        token: TeamAPIToken = entry[1]
        if _touch(token):
            cache.set(entry_key, (generation, token), TOKEN_TIMEOUT)
        return token
    if generation is None:
        # add, not set: an invalidation that wrote a generation meanwhile wins.
        cache.add(generation_key, secrets.token_hex(8), None)
        generation = cache.get(generation_key)
    # The generation is read before the row: a change committed in between replaces the
    # generation, so the entry written below is never used.
    stored = _stored_token(token_hash)
    if stored is None:
        return None
    setattr(stored, GRANT_ATTR, grant_for_team(stored.team))
    _touch(stored)
    if generation is not None:
        cache.set(entry_key, (generation, stored), TOKEN_TIMEOUT)
    return stored


def forget_tokens(token_hashes: Iterable[str]) -> None:
    """Make the cached copies of these tokens unusable, now and when the transaction commits."""
    keys = [_generation_key(token_hash) for token_hash in token_hashes]
    if not keys or not page_cache.cache_is_shared():
        return

    def renew() -> None:
        cache.set_many({key: secrets.token_hex(8) for key in keys}, None)

    renew()
    transaction.on_commit(renew)


def _forget_tokens_where(**filters: Any) -> None:
    """:func:`forget_tokens` for the tokens matching ``filters`` (no query without a shared cache)."""
    if not page_cache.cache_is_shared():
        return
    with scopes_disabled():
        forget_tokens(TeamAPIToken.objects.filter(**filters).values_list("token_hash", flat=True))


def _token_changed(sender: type, instance: TeamAPIToken, **kwargs: Any) -> None:
    forget_tokens([instance.token_hash])


def _team_changed(sender: type, instance: Team, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        _forget_tokens_where(team_id=instance.pk)


def _team_events_changed(
    sender: type, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Team):
        _forget_tokens_where(team_id=instance.pk)
    elif action == "post_clear":
        # An event's teams cleared: every team of its organizer may have lost it.
        _forget_tokens_where(team__organizer_id=instance.organizer_id)
    else:
        _forget_tokens_where(team_id__in=pk_set or ())


def _organizer_changed(sender: type, instance: Organizer, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        _forget_tokens_where(team__organizer_id=instance.pk)


def _event_deleted(sender: type, instance: Event, **kwargs: Any) -> None:
    # The event's rows in the teams' event lists go without a signal.
    _forget_tokens_where(team__organizer_id=instance.organizer_id)


def connect_token_invalidation() -> None:
    """Connected once at start-up: every change a cached token depends on invalidates it."""
    post_save.connect(_token_changed, sender=TeamAPIToken, dispatch_uid="eventyay-api-token-save")
    post_delete.connect(_token_changed, sender=TeamAPIToken, dispatch_uid="eventyay-api-token-delete")
    post_save.connect(_team_changed, sender=Team, dispatch_uid="eventyay-api-token-team-save")
    post_delete.connect(_team_changed, sender=Team, dispatch_uid="eventyay-api-token-team-delete")
    m2m_changed.connect(
        _team_events_changed, sender=Team.limit_events.through, dispatch_uid="eventyay-api-token-team-events"
    )
    post_save.connect(_organizer_changed, sender=Organizer, dispatch_uid="eventyay-api-token-organizer")
    post_delete.connect(_event_deleted, sender=Event, dispatch_uid="eventyay-api-token-event-delete")


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
