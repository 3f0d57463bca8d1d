from eventyay.base.plugins import PluginConfig


class DummyIncompatibleApp(PluginConfig):
    name = "eventyay_dummy_incompatible"

    class EventyayPluginMeta:
        name = "Dummy (incompatible)"
        category = "FEATURE"
        description = "Declares a compatibility no eventyay release satisfies"
        visible = False
        compatibility = "eventyay<0.1"
