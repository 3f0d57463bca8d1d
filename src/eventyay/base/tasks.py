"""Core Celery tasks. Tasks take ids, re-load inside the worker and call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from eventyay.base.services.mail import mail_due_for_retry, mail_send


@shared_task(name="eventyay.base.tasks.send_mail", ignore_result=True)
def send_mail(mail_id: int) -> None:
    mail_send(mail_id=mail_id)


@shared_task(name="eventyay.base.tasks.outbox_retry_due", ignore_result=True)
def outbox_retry_due() -> None:
    for mail_id in mail_due_for_retry():
        send_mail.delay(mail_id)


@shared_task(name="eventyay.base.tasks.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_pk: int) -> None:
    from eventyay.base.services.webhooks import webhook_deliver

    webhook_deliver(delivery_pk=delivery_pk)


@shared_task(name="eventyay.base.tasks.webhooks_retry_due", ignore_result=True)
def webhooks_retry_due() -> None:
    from eventyay.base.services.webhooks import webhook_deliveries_due

    for pk in webhook_deliveries_due():
        deliver_webhook.delay(pk)


@shared_task(name="eventyay.base.tasks.run_job", ignore_result=True)
def run_job(job_id: str) -> None:
    from eventyay.base.services.jobs import JobBusy, job_run

    try:
        job_run(job_id=job_id)
    except JobBusy:
        # The organizer's slots are taken; the sweep queues the job again once one is free.
        if not run_job.app.conf.task_always_eager:
            run_job.apply_async(args=(job_id,), countdown=10)


@shared_task(name="eventyay.base.tasks.jobs_sweep", ignore_result=True)
def jobs_sweep() -> None:
    from eventyay.base.services.jobs import jobs_sweep as sweep

    for job_id in sweep():
        run_job.delay(job_id)


@shared_task(name="eventyay.base.tasks.run_scheduled_exports", ignore_result=True)
def run_scheduled_exports() -> None:
    from eventyay.base.services.exports import scheduled_exports_due

    for schedule_id in scheduled_exports_due():
        run_scheduled_export.delay(schedule_id)


@shared_task(name="eventyay.base.tasks.run_scheduled_export", ignore_result=True)
def run_scheduled_export(schedule_id: int) -> None:
    from eventyay.base.services.exports import scheduled_export_run

    scheduled_export_run(schedule_id=schedule_id)


@shared_task(
    name="eventyay.base.tasks.deferred_effects_fan_out",
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def deferred_effects_fan_out() -> None:
    """Queued after a commit that wrote deferred effects: carries out every due row."""
    from eventyay.base.services.deferred import deferred_effects_fan_out as fan_out

    fan_out()


@shared_task(name="eventyay.base.tasks.deferred_effects_sweep", ignore_result=True)
def deferred_effects_sweep() -> None:
    """Every minute: rows whose task never came (a crash after commit) or that are due again."""
    from eventyay.base.services.deferred import deferred_effects_run

    deferred_effects_run()
