from eventyay.base.plugins import PluginConfig


class DummyExtraApp(PluginConfig):
    name = "eventyay_dummy_extra"

    class EventyayPluginMeta:
        name = "Dummy extra"
        category = "CUSTOMIZATION"
        description = "Needs the dummy plugin; only administrators may switch it on"
        visible = False
        restricted = True
        requires = ["dummy"]
