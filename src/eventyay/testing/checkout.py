"""Run a plugin checkout's own test suite as if the plugin were installed, without pip.

A plugin is found through its ``eventyay.plugin`` entry point. Instead of ``pip install -e``
(slow, and it changes the environment), the checkout's ``src`` and a minimal ``.dist-info``
holding the entry points go on ``PYTHONPATH`` of one pytest subprocess: the plugin is an
installed Django app there and nowhere else. eventyay's own tests use this for the
``startplugin`` output and the plugin guide's worked examples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PluginTestRun:
    returncode: int
    output: str
    #: Files and directories in the checkout after the run that were not there before.
    created: frozenset[str]

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def fake_install(checkout: Path, site: Path) -> None:
    """Write the ``.dist-info`` that makes ``checkout``'s entry points visible on ``site``."""
    project = tomllib.loads((checkout / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name = project["name"].replace("-", "_")
    info = site / f"{name}-{project['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n", encoding="utf-8"
    )
    groups = project.get("entry-points", {})
    lines = []
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines.extend(f"{key} = {value}" for key, value in entries.items())
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_plugin_tests(checkout: Path, site: Path, *args: str, timeout: int = 300) -> PluginTestRun:
    """Run ``pytest`` in ``checkout`` with the plugin installed through ``site`` (a scratch dir).

    The run gets neither this process's ``EVENTYAY_*`` settings nor its data directory: it
    uses the embedded defaults, as a plugin author's first ``pytest`` does.
    """
    fake_install(checkout, site)
    before = {path.relative_to(checkout).as_posix() for path in checkout.rglob("*")}
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EVENTYAY_", "DJANGO_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(checkout / "src")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    after = {path.relative_to(checkout).as_posix() for path in checkout.rglob("*")}
    return PluginTestRun(result.returncode, result.stdout + result.stderr, frozenset(after - before))
