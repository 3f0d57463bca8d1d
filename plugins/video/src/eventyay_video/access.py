"""Who gets into the video part, with which traits: ticket holders and team members."""

from __future__ import annotations

import logging
from typing import Any

from eventyay.base.models import Event, User
from eventyay_video.tokens import (
    ATTENDEE_TRAIT,
    ORGANIZER_TRAIT,
    SPEAKER_TRAIT,
    join_url,
    team_uid,
    ticket_uid,
    token_issue,
)

logger = logging.getLogger(__name__)

ORDER_TOKEN_EXPIRES_IN = 12 * 3600
TEAM_TOKEN_EXPIRES_IN = 8 * 3600


def is_speaker(*, event: Event, user: Any) -> bool:
    """Ask the talk plugin, when it is on for the event, whether the account ``user`` speaks there."""
    if not getattr(user, "is_authenticated", False) or not event.has_plugin("talk"):
        return False
    try:
        from eventyay_talk.selectors import is_speaker as talk_is_speaker
    except ImportError:
        return False
    return bool(talk_is_speaker(event=event, user=user))


def order_join_links(*, event: Event, order: Any, viewer: Any = None) -> list[dict[str, str]]:
    """One join link per admission position of an order that admits to the online event.

    The speaker role never follows from an email address typed in by the buyer (accounts'
    addresses are not verified, and anyone may type a speaker's address as the attendee's).
    It is granted only when ``viewer``, the account logged in on the order page, is itself a
    speaker of the event, and only on the positions that name that account's address.
    """
    allowed = {"paid", "pending"} if event.settings.get("video_allow_pending") else {"paid"}
    if getattr(order, "status", None) not in allowed:
        return []
    speaker_email = viewer.email.casefold() if is_speaker(event=event, user=viewer) else None
    links = []
    for position in order.positions.select_related("product").order_by("positionid"):
        if not position.product.admission:
            continue
        email = (position.attendee_email or order.email or "").strip()
        traits = [ATTENDEE_TRAIT, f"product:{position.product_id}"]
        variation_id = getattr(position, "variation_id", None)
        if variation_id:
            traits.append(f"variation:{variation_id}")
        if speaker_email is not None and email.casefold() == speaker_email:
            traits.append(SPEAKER_TRAIT)
        token = token_issue(
            event=event,
            uid=ticket_uid(event=event, order_code=order.code, positionid=position.positionid),
            traits=traits,
            display_name=position.attendee_name or "",
            expires_in=ORDER_TOKEN_EXPIRES_IN,
        )
        links.append(
            {
                "name": position.attendee_name or str(position.product.name),
                "product": str(position.product.name),
                "url": join_url(event=event, token=token),
            }
        )
    return links


def team_member_token(*, event: Event, user: User) -> str:
    traits = [ORGANIZER_TRAIT]
    if is_speaker(event=event, user=user):
        traits.append(SPEAKER_TRAIT)
    return token_issue(
        event=event,
        uid=team_uid(user),
        traits=traits,
        display_name=getattr(user, "fullname", "") or user.email,
        expires_in=TEAM_TOKEN_EXPIRES_IN,
    )
