from eventyay.base.plugins import PluginConfig


class DummyApp(PluginConfig):
    name = "eventyay_dummy"

    class EventyayPluginMeta:
        name = "Dummy"
        category = "FEATURE"
        description = "Exercises every part of the plugin contract"
        visible = False
