"""The audit log: every change worth auditing writes one entry, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from eventyay.base.models import LogEntry, TeamAPIToken, User

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer

#: Who caused a change: a user, an API token, an OAuth application (``(application, user)``
#: is recorded as both), or None for the system.
Actor = Any


def log_action(
    *,
    action: str,
    organizer: Organizer | None,
    event: Event | None = None,
    obj: models.Model | None = None,
    actor: Actor = None,
    data: dict[str, Any] | None = None,
) -> LogEntry:
    """Write one audit log entry: who (``actor``) did ``action`` to ``obj``, with ``data``.

    ``action`` is a dotted name starting with the plugin's name (``badges.badge.created``);
    ``data`` is JSON, usually :func:`changes` of the object. Call it inside the transaction of
    the change, so the entry exists exactly when the change does. ``organizer`` defaults to
    the event's.
    """
    entry = _entry(action=action, organizer=organizer, event=event, actor=actor, data=data)
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj)
        entry.object_id = str(obj.pk)
    entry.save()
    return entry


def log_actions(
    *,
    action: str,
    organizer: Organizer | None,
    objects: Sequence[models.Model],
    event: Event | None = None,
    actor: Actor = None,
) -> list[LogEntry]:
    """:func:`log_action` for many objects of one model at once: one entry each, one statement."""
    if not objects:
        return []
    content_type = ContentType.objects.get_for_model(objects[0])
    entries = []
    for obj in objects:
        entry = _entry(action=action, organizer=organizer, event=event, actor=actor, data=None)
        entry.content_type = content_type
        entry.object_id = str(obj.pk)
        entries.append(entry)
    return LogEntry.objects.bulk_create(entries)


def _entry(
    *,
    action: str,
    organizer: Organizer | None,
    event: Event | None,
    actor: Actor,
    data: dict[str, Any] | None,
) -> LogEntry:
    entry = LogEntry(
        organizer=organizer if organizer is not None else (event.organizer if event is not None else None),
        event=event,
        action_type=action,
        data=data or {},
    )
    if isinstance(actor, User):
        entry.user = actor
    elif isinstance(actor, TeamAPIToken):
        entry.api_token = actor
    elif actor is not None and actor.__class__.__name__ == "AccessToken":
        entry.oauth_application_id = actor.application_id
        entry.user_id = actor.user_id
    return entry


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The ``{"before": ..., "after": ...}`` of the fields whose value changed."""
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {
        "before": {key: before.get(key) for key in changed},
        "after": {key: after.get(key) for key in changed},
    }


def actor_reference(actor: Actor) -> dict[str, int | None]:
    """``actor`` as JSON, for work recorded now and logged later (see ``eventyay.base.services.deferred``)."""
    if isinstance(actor, User):
        return {"user": actor.pk}
    if isinstance(actor, TeamAPIToken):
        return {"api_token": actor.pk}
    if actor is not None and actor.__class__.__name__ == "AccessToken":
        return {"oauth_application": actor.application_id, "user": actor.user_id}
    return {}


def actor_from_reference(reference: dict[str, int | None]) -> Actor:
    """The actor :func:`actor_reference` stood for, as :func:`log_action` records it (no query)."""
    if reference.get("oauth_application"):
        from oauth2_provider.models import get_access_token_model

        return get_access_token_model()(
            application_id=reference["oauth_application"], user_id=reference.get("user")
        )
    if reference.get("api_token"):
        return TeamAPIToken(pk=reference["api_token"])
    if reference.get("user"):
        return User(pk=reference["user"])
    return None
