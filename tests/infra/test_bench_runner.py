"""bench/run.py finds the benchmark scripts, passes --quick to those that take it, reports failures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[2] / "bench" / "run.py"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_runner_under_test", RUNNER)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "BENCH_DIR", tmp_path)
    (tmp_path / "run.py").write_text("raise SystemExit('the runner must not run itself')\n")
    (tmp_path / "_shared.py").write_text("raise SystemExit('helpers are not benchmarks')\n")
    return module


def script(path: Path, body: str) -> None:
    path.write_text("import sys\n" + body + "\n")


def test_runs_every_script_and_passes_quick_where_supported(runner, tmp_path, capsys):
    marker = tmp_path / "seen"
    script(
        tmp_path / "alpha.py", f'open({str(marker)!r}, "a").write("alpha " + " ".join(sys.argv[1:]) + "\\n")'
    )
    script(
        tmp_path / "beta.py",
        f'assert "--quick" in sys.argv\nopen({str(marker)!r}, "a").write("beta " + " ".join(sys.argv[1:]) + "\\n")',
    )
    assert runner.main(["--quick"]) == 0
    assert marker.read_text().splitlines() == ["alpha ", "beta --quick"]
    summary = capsys.readouterr().out.split("=== summary")[1]
    assert "alpha" in summary and "beta" in summary
    assert summary.count(" ok ") == 2


def test_a_failing_script_fails_the_run(runner, tmp_path, capsys):
    script(tmp_path / "good.py", "pass")
    script(tmp_path / "bad.py", "sys.exit(3)")
    assert runner.main([]) == 1
    assert "FAILED (3)" in capsys.readouterr().out


def test_only_selects_scripts_and_rejects_unknown_names(runner, tmp_path):
    script(tmp_path / "good.py", "pass")
    script(tmp_path / "bad.py", "sys.exit(3)")
    assert runner.main(["--only", "good"]) == 0
    with pytest.raises(SystemExit):
        runner.main(["--only", "missing"])


def test_runs_with_this_interpreter(runner, tmp_path):
    out = tmp_path / "exe"
    script(tmp_path / "which.py", f"open({str(out)!r}, 'w').write(sys.executable)")
    assert runner.main([]) == 0
    assert out.read_text() == sys.executable
