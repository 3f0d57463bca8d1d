"""Commands that need no instance data leave no ./data (with a secret key) where they run."""

from __future__ import annotations

import os
import subprocess
import sys


def test_startplugin_writes_no_data_directory_into_the_current_directory(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EVENTYAY_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-m", "eventyay", "startplugin", "door_prizes", "--dir", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "pyproject.toml").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]
