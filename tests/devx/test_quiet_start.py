"""The contract tests' plugins (one broken on purpose) are found only while pytest runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points

from eventyay.base.plugins.discovery import TEST_ENTRY_POINT_GROUP, discover_plugins

TEST_PLUGINS = {"dummy", "dummy_broken", "dummy_extra", "dummy_incompatible"}


def test_test_plugins_are_installed_in_their_own_group_and_found_in_test_runs():
    assert TEST_PLUGINS.issubset(
        entry_point.name for entry_point in entry_points(group=TEST_ENTRY_POINT_GROUP)
    )
    discovery = discover_plugins()
    found = {plugin.name for plugin in discovery.plugins} | {plugin.name for plugin in discovery.broken}
    assert TEST_PLUGINS.issubset(found)


def test_outside_test_runs_the_test_plugins_are_neither_found_nor_reported():
    script = (
        "import json, logging, sys\n"
        "from eventyay.base.plugins.discovery import discover_plugins\n"
        "assert 'pytest' not in sys.modules\n"
        "d = discover_plugins()\n"
        "print(json.dumps(sorted([p.name for p in d.plugins] + [p.name for p in d.broken])))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EVENTYAY_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    names = set(json.loads(result.stdout))
    assert "talk" in names
    assert not names & TEST_PLUGINS
    assert result.stderr == ""
