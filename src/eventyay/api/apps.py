from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "eventyay.api"
    label = "eventyay_api"

    def ready(self) -> None:
        from eventyay.api import hooks
        from eventyay.api.auth import connect_token_invalidation
        from eventyay.base.plugins.manager import CORE, clear_caches, plugin_manager, registry

        # Part of the core: always on, like the core's own hooks.
        if plugin_manager.get_plugin(self.name) is None:
            plugin_manager.register(hooks, name=self.name)
            registry.aliases[self.name] = CORE
            clear_caches()
        connect_token_invalidation()
