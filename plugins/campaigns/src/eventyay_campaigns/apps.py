from django.conf import settings
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import PluginConfig


class CampaignsConfig(PluginConfig):
    name = "eventyay_campaigns"
    label = "eventyay_campaigns"
    verbose_name = _("Contacts")
    default_auto_field = "django.db.models.BigAutoField"

    class EventyayPluginMeta:
        name = _("Contacts")
        author = "eventyay"
        category = "FEATURE"
        description = _(
            "The organizer's contacts: everyone who bought a ticket, attended, spoke or hosted, "
            "with their event history, filters and saved segments."
        )
        visible = True
        level = "organizer"
        compatibility = ">=1.0.0.dev0"
        # Other plugins' serializers have ``status`` fields too: the campaign states get a name.
        # The consent sources serve two fields (``consent_source``, ``sms_consent_source``): one
        # name, instead of one per field and a warning.
        api_enum_names = {
            "CampaignStatusEnum": "eventyay_campaigns.models.messaging.Campaign.Status",
            "ContactConsentSourceEnum": "eventyay_campaigns.models.contacts.Contact.ConsentSource",
        }

    def ready(self) -> None:
        super().ready()
        from anymail.signals import tracking
        from django.db.models.signals import pre_delete

        from eventyay.base.models import Event
        from eventyay_campaigns.services.contacts import event_pre_delete
        from eventyay_campaigns.services.tracking import anymail_tracking_received

        # A deleted event leaves its contacts' counters; the history rows go by cascade.
        pre_delete.connect(event_pre_delete, sender=Event, dispatch_uid="eventyay_campaigns.event_deleting")
        # Delivery reports of an ESP backend (bounces, complaints) suppress addresses.
        tracking.connect(anymail_tracking_received, dispatch_uid="eventyay_campaigns.anymail_tracking")
        from eventyay.base.settings import register_default
        from eventyay_campaigns.services.sending import DEFAULT_RATE, RATE_SETTING

        register_default(RATE_SETTING, DEFAULT_RATE)
        # Starts scheduled campaigns and queues batches that are due or were lost with a
        # worker; Celery reads the beat schedule lazily, so adding to it here is enough.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "eventyay-campaigns-sweep",
            {"task": "eventyay_campaigns.tasks.campaigns_sweep", "schedule": 30.0},
        )
        # Automation: rules relative to event starts, delayed steps, and messages whose task was
        # lost. Importing the module registers its tasks with the worker (it is not "tasks").
        import eventyay_campaigns.tasks_automation  # noqa: F401

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "eventyay-campaigns-automation",
            {"task": "eventyay_campaigns.tasks_automation.automation_due", "schedule": 60.0},
        )
