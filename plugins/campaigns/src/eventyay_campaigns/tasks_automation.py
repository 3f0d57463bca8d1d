"""Celery tasks of the automation rules: take ids, call a service (which opens the scope)."""

from __future__ import annotations

from celery import shared_task

from eventyay_campaigns.services import automation, automation_run


@shared_task(name="eventyay_campaigns.tasks_automation.automation_steps_run", ignore_result=True)
def automation_steps_run(step_ids: list[int]) -> None:
    automation_run.steps_run(step_ids=step_ids)


@shared_task(name="eventyay_campaigns.tasks_automation.automation_due", ignore_result=True)
def automation_due() -> None:
    """Beat task: fire the rules relative to event starts, execute due steps, send lost messages."""
    automation.event_starts_fire()
    automation_run.steps_run_due()
    automation_run.messages_send_due()


@shared_task(name="eventyay_campaigns.tasks_automation.automation_message_send", ignore_result=True)
def automation_message_send(message_id: int) -> None:
    automation_run.message_send(message_id=message_id)
