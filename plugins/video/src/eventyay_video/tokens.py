"""Short-lived signed access tokens (HS256 JWT) for the video part of one event.

The key is derived from the instance's secret key and the event, and the audience names the
event, so a token never opens another event. Claims: ``iss`` (the site URL), ``aud``, ``exp``,
``iat``, ``uid`` (stable per ticket or team member), ``traits`` and ``name``. ``iat`` keeps its
fraction of a second, so that a revocation (see :class:`~eventyay_video.models.TokenRevocation`)
tells the tokens issued just before it from those issued just after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from django.conf import settings
from django.urls import reverse

if TYPE_CHECKING:
    from eventyay.base.models import Event, User

ALGORITHM = "HS256"
DEFAULT_EXPIRES_IN = 6 * 3600
MAX_EXPIRES_IN = 7 * 24 * 3600
ORGANIZER_TRAIT = "role:organizer"
SPEAKER_TRAIT = "role:speaker"
ATTENDEE_TRAIT = "attendee"


class TokenError(Exception):
    """The token cannot be used; ``code`` is the protocol error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class VideoUser:
    uid: str
    name: str
    traits: frozenset[str] = field(default_factory=frozenset)
    #: Unix times the token was issued at and expires at.
    issued_at: float = 0.0
    expires_at: float = 0.0

    @property
    def is_organizer(self) -> bool:
        return ORGANIZER_TRAIT in self.traits

    def as_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "name": self.name, "traits": sorted(self.traits)}


def _event_secret(event: Event, purpose: str) -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"eventyay-video:{purpose}:{event.pk}".encode(), hashlib.sha256
    ).digest()


def audience(event: Event) -> str:
    return f"eventyay-video:event:{event.pk}"


def issuer() -> str:
    return settings.SITE_URL


def token_issue(
    *,
    event: Event,
    uid: str,
    traits: list[str] | tuple[str, ...] | frozenset[str] = (),
    display_name: str = "",
    expires_in: int = DEFAULT_EXPIRES_IN,
) -> str:
    """Sign a token for ``uid`` on ``event``, valid for ``expires_in`` seconds."""
    now = dt.datetime.now(dt.UTC)
    payload = {
        "iss": issuer(),
        "aud": audience(event),
        "iat": now.timestamp(),
        "exp": now + dt.timedelta(seconds=max(1, min(int(expires_in), MAX_EXPIRES_IN))),
        "uid": str(uid),
        "traits": sorted({str(trait) for trait in traits}),
        "name": display_name or "",
    }
    return jwt.encode(payload, _event_secret(event, "token"), algorithm=ALGORITHM)


def token_decode(*, event: Event, token: object) -> VideoUser:
    """The user a token stands for; raises :class:`TokenError` (invalid or expired).

    ``token`` comes straight from a client frame, so any JSON value is rejected cleanly.
    """
    if not isinstance(token, str) or not token:
        raise TokenError("auth.invalid_token")
    try:
        claims = jwt.decode(
            token,
            _event_secret(event, "token"),
            algorithms=[ALGORITHM],
            audience=audience(event),
            issuer=issuer(),
            options={"require": ["exp", "iat", "iss", "aud", "uid"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("auth.expired_token")
    except jwt.PyJWTError:
        raise TokenError("auth.invalid_token")
    uid = claims.get("uid")
    traits = claims.get("traits") or []
    if not isinstance(uid, str) or not uid or not isinstance(traits, list):
        raise TokenError("auth.invalid_token")
    name = str(claims.get("name") or "")[:200]
    return VideoUser(
        uid=uid[:200],
        name=name or uid[:40],
        traits=frozenset(str(t) for t in traits),
        issued_at=float(claims["iat"]),
        expires_at=float(claims["exp"]),
    )


def ticket_uid(*, event: Event, order_code: str, positionid: int) -> str:
    """A stable, non-secret user id for one ticket (the same on every join link)."""
    digest = hmac.new(_event_secret(event, "uid"), f"{order_code}:{positionid}".encode(), hashlib.sha256)
    return "ticket:" + digest.hexdigest()[:24]


def team_uid(user: User) -> str:
    return f"team:{user.pk}"


def join_url(*, event: Event, token: str) -> str:
    path = reverse(
        "plugins:video:video.index", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )
    return f"{settings.SITE_URL}{path}?token={token}"
