"""Bringing talk data over from other systems: pretalx through its API, schedule XML files."""
