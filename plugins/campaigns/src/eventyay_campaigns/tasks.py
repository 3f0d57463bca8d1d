"""Celery tasks of the campaigns plugin. They take ids and call the services."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay_campaigns.models import Campaign
from eventyay_campaigns.services.campaigns import campaign_start, campaigns_due_to_start
from eventyay_campaigns.services.sending import campaign_batch_send, campaigns_due, canceled_leftovers_settle

logger = logging.getLogger(__name__)

#: Batches one eager call sends at most (embedded mode, where no worker paces them).
EAGER_BATCHES = 10_000


@shared_task(bind=True, name="eventyay_campaigns.tasks.send_campaign_batch", ignore_result=True)
def send_campaign_batch(self: Any, campaign_id: int) -> None:
    """Send one batch, then queue the next for the time the rate allows.

    Run eagerly (the embedded mode has no worker) the batches follow each other at once, until
    the campaign is done or nothing is left that is due.
    """
    result = campaign_batch_send(campaign_id=campaign_id)
    if self.request.is_eager:
        for _round in range(EAGER_BATCHES):
            if not (result.claimed_campaign and result.next_batch and result.handled):
                break
            result = campaign_batch_send(campaign_id=campaign_id, now=max(timezone.now(), result.next_batch))
        return
    if result.claimed_campaign and result.next_batch is not None:
        send_campaign_batch.apply_async((campaign_id,), eta=result.next_batch)


@shared_task(name="eventyay_campaigns.tasks.campaigns_sweep", ignore_result=True)
def campaigns_sweep() -> None:
    """Start scheduled campaigns whose time has come; queue batches that are due or were lost.

    Also settles what canceled campaigns left open (messages of a worker that died holding them).
    """
    canceled_leftovers_settle()
    for campaign_id in campaigns_due_to_start():
        with scopes_disabled():
            campaign = Campaign.objects.select_related("organizer").get(pk=campaign_id)
        try:
            with scope(organizer=campaign.organizer):
                campaign_start(campaign=campaign)
        except Exception:
            logger.exception("Starting scheduled campaign %s failed", campaign_id)
    for campaign_id in campaigns_due():
        send_campaign_batch.delay(campaign_id)
