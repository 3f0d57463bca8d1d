"""The plugin guide's worked examples are a real plugin whose own tests pass."""

from __future__ import annotations

import shutil
from pathlib import Path

from eventyay.testing.checkout import run_plugin_tests

EXAMPLE = Path(__file__).resolve().parent / "examples" / "badges"
DOCS = Path(__file__).resolve().parents[2] / "doc" / "plugins" / "examples.rst"


def test_example_plugin_passes_its_tests(tmp_path):
    checkout = tmp_path / "badges"
    shutil.copytree(EXAMPLE, checkout, ignore=shutil.ignore_patterns("__pycache__"))
    run = run_plugin_tests(checkout, tmp_path / "site", "--no-migrations", "-p", "no:warnings")
    assert run.passed, run.output
    assert "23 passed" in run.output, run.output


def test_docs_include_the_tested_files():
    text = DOCS.read_text(encoding="utf-8")
    included = [line.split("::", 1)[1].strip() for line in text.splitlines() if "literalinclude::" in line]
    assert included
    for relative in included:
        assert (DOCS.parent / relative).resolve().is_relative_to(EXAMPLE), relative
        assert (DOCS.parent / relative).is_file(), relative
