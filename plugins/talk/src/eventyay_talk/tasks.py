"""Celery tasks of the talk plugin: take ids, re-load, open the tenant scope, call a service."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, User


@shared_task(name="eventyay_talk.tasks.schedule_release", ignore_result=True)
def schedule_release(event_id: int, version: str, comment: str = "", user_id: int | None = None) -> None:
    """Release a version in the background (large schedules render several exports)."""
    from eventyay_talk.services.schedule import schedule_release as release

    with scopes_disabled():
        event = Event.objects.select_related("organizer").get(pk=event_id)
        user = User.objects.filter(pk=user_id).first() if user_id else None
    with scope(organizer=event.organizer):
        release(event=event, version=version, comment=comment, actor=user)
