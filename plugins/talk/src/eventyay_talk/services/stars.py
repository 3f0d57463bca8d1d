"""Starred talks and the secret personal iCal feed of them."""

from __future__ import annotations

from django.db import transaction

from eventyay.base.models import Event, User
from eventyay_talk.models import StarFeedToken, StarredTalk, Submission
from eventyay_talk.models.schedule import generate_feed_token


def star_toggle(*, event: Event, user: User, submission: Submission) -> bool:
    """Star or unstar a talk; returns whether it is starred now. Creates the feed token."""
    with transaction.atomic():
        deleted, _rows = StarredTalk.objects.filter(event=event, user=user, submission=submission).delete()
        if not deleted:
            StarredTalk.objects.create(event=event, user=user, submission=submission)
        star_feed_token(event=event, user=user)
    return not deleted


def star_feed_token(*, event: Event, user: User, reset: bool = False) -> StarFeedToken:
    """The user's feed token at ``event``; ``reset`` replaces it so an old link stops working."""
    with transaction.atomic():
        token, created = StarFeedToken.objects.get_or_create(event=event, user=user)
        if reset and not created:
            token.token = generate_feed_token()
            token.save(update_fields=["token"])
    return token
