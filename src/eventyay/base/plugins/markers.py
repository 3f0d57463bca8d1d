import pluggy

PROJECT_NAME = "eventyay"

#: Marks a hook specification in :mod:`eventyay.base.plugins.hookspecs`.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a plugin's hook implementation (in the plugin's ``hooks`` module).
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
