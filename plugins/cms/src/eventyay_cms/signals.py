"""A speaker's profile edit queues a push of that speaker (the talk plugin has no hook for it)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from eventyay_talk.models import SpeakerProfile


@receiver(post_save, sender=SpeakerProfile, dispatch_uid="eventyay_cms.speaker_saved")
def speaker_saved(sender: type, instance: SpeakerProfile, created: bool, **kwargs: Any) -> None:
    from eventyay_cms.services.push import enqueue_for_event

    if kwargs.get("raw") or created:
        return
    event = instance.event
    if event.has_plugin("cms"):
        enqueue_for_event(event, [f"speaker:{instance.code}"])
