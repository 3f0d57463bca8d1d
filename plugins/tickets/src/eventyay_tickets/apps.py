from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import PluginConfig


class TicketsConfig(PluginConfig):
    name = "eventyay_tickets"
    label = "eventyay_tickets"
    verbose_name = _("Tickets")
    default_auto_field = "django.db.models.BigAutoField"

    class EventyayPluginMeta:
        name = _("Tickets")
        author = "eventyay"
        category = "FEATURE"
        description = _("Sell admission: products, quotas, vouchers, orders and payments.")
        visible = True
        level = "event"
        compatibility = ">=1.0.0.dev0"
        settings_form = "eventyay_tickets.forms.TicketsSettingsForm"

    def ready(self) -> None:
        super().ready()
        from eventyay_tickets.page_cache import follow_public_models

        follow_public_models()
        # Pending orders past their payment deadline free their quota even if nobody opens
        # them; the beat schedule is read lazily by Celery, so adding to it here is enough.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "eventyay-tickets-expire-orders",
            {"task": "eventyay_tickets.tasks.expire_due_orders", "schedule": 60.0},
        )
        # The quota and voucher counters are the authority; this recount only catches bugs.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "eventyay-tickets-reconcile-capacity",
            {"task": "eventyay_tickets.tasks.reconcile_capacity", "schedule": 900.0},
        )
