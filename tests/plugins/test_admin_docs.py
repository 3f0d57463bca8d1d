"""The administrator guide documents every ``EVENTYAY_*`` setting eventyay reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_REFERENCE = ROOT / "doc" / "admin" / "configuration.rst"
CONFIG_READ = re.compile(r"\bconfig\.get(?:_bool|_list)?\(\s*\"([a-z_]+)\"")


def settings_read():
    """Names read through eventyay's config object, in core and the bundled plugins."""
    names = set()
    for directory in (ROOT / "src", ROOT / "plugins"):
        for path in directory.rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if "eventyay.config.env import" in source:
                names |= set(CONFIG_READ.findall(source))
    return names


def test_settings_are_found():
    assert {"db_url", "redis_url", "data_dir", "plugins_exclude"} <= settings_read()


def test_every_setting_is_in_the_configuration_reference():
    reference = CONFIG_REFERENCE.read_text(encoding="utf-8")
    missing = sorted(
        f"EVENTYAY_{name.upper()}"
        for name in settings_read()
        if f"``EVENTYAY_{name.upper()}``" not in reference
    )
    assert not missing, f"not documented in {CONFIG_REFERENCE.relative_to(ROOT)}: {', '.join(missing)}"
    assert "``EVENTYAY_CONFIG_FILE``" in reference
