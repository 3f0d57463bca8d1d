"""A clone of the repository carries everything its tests and commands need."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Spelt in two parts so that this file does not match itself.
OUTSIDE = "../" + "shared"
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "_build",
    "data",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
}


def project_files() -> list[Path]:
    files = []
    for path in REPO.rglob("*"):
        relative = path.relative_to(REPO)
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file() and path.suffix in {".py", ".toml", ".cfg", ".rst", ".md", ".txt", ".html", ""}:
            files.append(path)
    return files


def test_nothing_reads_files_from_beside_the_checkout():
    offenders = [
        str(path.relative_to(REPO))
        for path in project_files()
        if OUTSIDE in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == []


def test_the_talk_tests_carry_the_schedule_schema():
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("talk_conftest", REPO / "plugins/talk/tests/conftest.py")
    assert spec and spec.loader
    conftest = module_from_spec(spec)
    spec.loader.exec_module(conftest)
    assert conftest.XSD_PATH.is_file()
    assert REPO in conftest.XSD_PATH.resolve().parents
    assert "plugins/talk/tests/data/schedule.xml.xsd" in (REPO / "THIRD_PARTY_NOTICES.rst").read_text()
