from django.apps import AppConfig


class WagtailCompanionConfig(AppConfig):
    name = "eventyay_cms.wagtail_companion"
    label = "eventyay_wagtail_companion"
    verbose_name = "eventyay companion"

    def ready(self) -> None:
        from django.core import checks

        from eventyay_cms.wagtail_companion.pages import configuration_problems

        checks.register(configuration_problems)
