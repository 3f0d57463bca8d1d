"""Saving the event's simple configuration objects (types, tracks, questions) with an audit entry."""

from __future__ import annotations

from django.db import models, transaction

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, log_action


def config_object_save(*, event: Event, instance: models.Model, actor: Actor = None) -> models.Model:
    """Validate and save a submission type, track, question or option of ``event``."""
    with transaction.atomic():
        created = instance.pk is None
        instance.full_clean(exclude=["event"])
        instance.save()
        log_action(
            action=f"eventyay_talk.{instance._meta.model_name}.{'created' if created else 'changed'}",
            organizer=event.organizer,
            event=event,
            obj=instance,
            actor=actor,
            data={"name": str(instance)},
        )
    return instance


def config_object_delete(*, event: Event, instance: models.Model, actor: Actor = None) -> None:
    from django.core.exceptions import ValidationError
    from django.db.models import ProtectedError
    from django.utils.translation import gettext as _

    with transaction.atomic():
        log_action(
            action=f"eventyay_talk.{instance._meta.model_name}.deleted",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"name": str(instance)},
        )
        try:
            instance.delete()
        except ProtectedError:
            raise ValidationError(_("This is still in use by proposals and cannot be deleted."))
