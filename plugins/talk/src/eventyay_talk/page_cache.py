"""Which rows of the talk plugin public pages show, so that saving one bumps the content version.

The public schedule, talk and speaker pages and the front page's programme section are cached
per content version (``eventyay.base.services.cache``). Every save or deletion of the rows they
show bumps it; services that change such rows in bulk call ``content_version_bump`` themselves
(the schedule release does). A speaker's account (name, e-mail address) bumps every event
the speaker has a profile or a proposal in.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django_scopes import scopes_disabled

from eventyay.base.services.cache import content_version_bump, content_version_follows

#: Account fields no talk page or API answer shows: saving only these bumps nothing.
_UNSHOWN_USER_FIELDS = frozenset({"last_login", "password"})


def _user_saved(sender: type, instance: Any, **kwargs: Any) -> None:
    """A speaker's name or e-mail address shows on talk pages and in the submissions API."""
    update_fields = kwargs.get("update_fields")
    if (
        kwargs.get("raw")
        or kwargs.get("created")
        or (update_fields and set(update_fields) <= _UNSHOWN_USER_FIELDS)
    ):
        return
    from eventyay_talk.models import SpeakerProfile, Submission

    with scopes_disabled():
        event_ids = set(SpeakerProfile.objects.filter(user=instance).values_list("event_id", flat=True))
        event_ids |= set(Submission.objects.filter(speakers=instance).values_list("event_id", flat=True))
    for event_id in sorted(event_ids):
        content_version_bump(event_id)


def follow_public_models() -> None:
    from eventyay_talk.models import CfP, Room, Schedule, SpeakerProfile, Submission, SubmissionType, Track

    # Slots are not followed: the public only sees those of released versions, which are
    # written once, by the release, and the release bumps (moving a slot of the
    # work-in-progress version changes nothing public).
    for model in (CfP, Room, Schedule, SpeakerProfile, Submission, SubmissionType, Track):
        content_version_follows(model)
    from eventyay.base.models import User

    post_save.connect(_user_saved, sender=User, dispatch_uid="eventyay-talk-cache-user")
