from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import PluginConfig


class TalkConfig(PluginConfig):
    name = "eventyay_talk"
    label = "eventyay_talk"
    verbose_name = _("Talks and schedule")
    default = True

    class EventyayPluginMeta:
        name = _("Talks and schedule")
        author = "eventyay"
        version = "1.0.0"
        category = "FEATURE"
        description = _(
            "Call for papers, proposal review, the conference schedule with its public pages "
            "and the standard exports (frab XML, c3voc JSON, iCal)."
        )
        visible = True
        restricted = False
        compatibility = ">=0.1"
        level = "event"
        # Proposals' states appear in several API components: one name for the set.
        api_enum_names = {"TalkSubmissionStateEnum": "eventyay_talk.models.submission.SubmissionStates"}

    def ready(self) -> None:
        super().ready()
        from eventyay_talk.page_cache import follow_public_models

        follow_public_models()
