from django.apps import AppConfig


class BaseConfig(AppConfig):
    name = "eventyay.base"
    label = "eventyay_base"
    verbose_name = "eventyay"

    def ready(self) -> None:
        from eventyay.base import checks  # noqa: F401 - registers the system checks
        from eventyay.base.plugins.manager import register_core_hooks
        from eventyay.base.services.cache import connect_core_bumps

        register_core_hooks()
        connect_core_bumps()
