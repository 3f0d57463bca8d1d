from django.apps import AppConfig


class BaseConfig(AppConfig):
    name = "eventyay.base"
    label = "eventyay_base"
    verbose_name = "eventyay"

    def ready(self) -> None:
        from eventyay.base import checks  # noqa: F401 - registers the system checks
        from eventyay.base.plugins.manager import register_core_hooks
        from eventyay.base.services.cache import connect_core_bumps
        from eventyay.base.urlconverters import register_converters

        register_core_hooks()
        register_converters()
        connect_core_bumps()
