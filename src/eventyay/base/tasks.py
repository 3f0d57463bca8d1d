"""Core Celery tasks. Tasks take ids, re-load inside the worker and call a service."""

from __future__ import annotations

from celery import shared_task

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
