from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import PluginConfig


class VideoConfig(PluginConfig):
    name = "eventyay_video"
    label = "eventyay_video"
    verbose_name = _("Video")
    default_auto_field = "django.db.models.BigAutoField"

    class EventyayPluginMeta:
        name = _("Online event")
        author = "eventyay"
        category = "FEATURE"
        description = _("Virtual rooms with livestream, live chat, polls and Q&A for ticket holders.")
        visible = True
        compatibility = ">=1.0.0.dev0"

    def ready(self) -> None:
        super().ready()
        from eventyay.base.settings import register_default

        register_default("video_allow_pending", False)
        # Viewers learn within about a minute that a room's primary stream stopped (the player
        # switches sooner on its own when playback fails).
        from django.conf import settings

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "eventyay-video-stream-health",
            {"task": "eventyay_video.tasks.stream_health_check_all", "schedule": 30.0},
        )
