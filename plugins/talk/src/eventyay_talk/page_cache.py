"""Which rows of the talk plugin public pages show, so that saving one bumps the content version.

The public schedule, talk and speaker pages and the front page's programme section are cached
per content version (``eventyay.base.services.cache``). Every save or deletion of the rows they
show bumps it; services that change such rows in bulk call ``content_version_bump`` themselves
(the schedule release does).
"""

from __future__ import annotations

from eventyay.base.services.cache import content_version_follows


def follow_public_models() -> None:
    from eventyay_talk.models import CfP, Room, Schedule, SpeakerProfile, Submission, SubmissionType, Track

    # Slots are not followed: the public only sees those of released versions, which are
    # written once, by the release, and the release bumps (moving a slot of the
    # work-in-progress version changes nothing public).
    for model in (CfP, Room, Schedule, SpeakerProfile, Submission, SubmissionType, Track):
        content_version_follows(model)
