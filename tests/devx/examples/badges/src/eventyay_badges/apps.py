from eventyay.base.plugins import PluginConfig


class BadgesApp(PluginConfig):
    name = "eventyay_badges"

    class EventyayPluginMeta:
        name = "Badges"
        category = "FEATURE"
        description = "Name badges for attendees (the plugin guide's worked examples)"
        version = "0.1.0"
        compatibility = "eventyay>=1.0.0.dev0,<2"
        # Per-event settings: eventyay shows this form on the event's plugin page.
        settings_form = "eventyay_badges.forms.BadgeSettingsForm"
