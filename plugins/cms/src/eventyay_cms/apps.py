from django.conf import settings
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import PluginConfig


class CmsConfig(PluginConfig):
    name = "eventyay_cms"
    label = "eventyay_cms"
    verbose_name = _("CMS connectors")
    default_auto_field = "django.db.models.BigAutoField"

    class EventyayPluginMeta:
        name = _("CMS connectors")
        author = "eventyay"
        category = "CMS"
        description = _(
            "Pull pages and posts from WordPress or Wagtail into the event's public pages, push the "
            "schedule, sessions and speakers into WordPress or Wagtail, and react to signed webhooks "
            "of the CMS."
        )
        visible = True
        level = "event"
        compatibility = ">=1.0.0.dev0"
        api_enum_names = {
            "CmsConnectionTypeEnum": "eventyay_cms.models.Connection.Type",
            "CmsConflictPolicyEnum": "eventyay_cms.models.Connection.ConflictPolicy",
        }

    def ready(self) -> None:
        super().ready()
        from eventyay.base.services.cache import content_version_follows
        from eventyay_cms import signals  # noqa: F401  (connects the speaker-edit receiver)
        from eventyay_cms.models import PulledPage

        # The event's cached pages list the pulled pages placed in its navigation.
        content_version_follows(PulledPage)

        # Sends due outbox rows whose task was lost, and runs the daily reconciliation.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "eventyay-cms-sweep", {"task": "eventyay_cms.tasks.cms_sweep", "schedule": 60.0}
        )
