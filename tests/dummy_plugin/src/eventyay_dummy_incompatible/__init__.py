"""A plugin for an eventyay that never existed: it must be reported and left off."""
