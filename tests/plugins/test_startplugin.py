"""``python -m eventyay startplugin`` writes a plugin distribution that installs and passes its tests."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from eventyay.testing.checkout import run_plugin_tests


def startplugin(*args):
    out = StringIO()
    call_command("startplugin", *args, stdout=out)
    return out.getvalue()


def test_startplugin_writes_a_complete_distribution(tmp_path):
    target = tmp_path / "eventyay-door-prizes"
    output = startplugin("door_prizes", "--dir", str(target), "--description", "Raffles at the door")
    assert "Created eventyay-door-prizes" in output
    files = sorted(path.relative_to(target).as_posix() for path in target.rglob("*") if path.is_file())
    assert files == [
        ".gitignore",
        "README.rst",
        "pyproject.toml",
        "src/eventyay_door_prizes/__init__.py",
        "src/eventyay_door_prizes/apps.py",
        "src/eventyay_door_prizes/hooks.py",
        "src/eventyay_door_prizes/templates/eventyay_door_prizes/index.html",
        "src/eventyay_door_prizes/templates/eventyay_door_prizes/section.html",
        "src/eventyay_door_prizes/urls.py",
        "src/eventyay_door_prizes/views.py",
        "tests/test_door_prizes.py",
    ]
    project = tomllib.loads((target / "pyproject.toml").read_text())
    assert project["project"]["name"] == "eventyay-door-prizes"
    assert project["project"]["entry-points"]["eventyay.plugin"] == {"door_prizes": "eventyay_door_prizes"}
    apps_py = (target / "src/eventyay_door_prizes/apps.py").read_text()
    assert "class DoorPrizesApp(PluginConfig):" in apps_py
    assert 'description = "Raffles at the door"' in apps_py
    for path in target.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


def test_a_name_containing_name_is_written_where_it_belongs(tmp_path):
    startplugin("name_tags", "--dir", str(tmp_path / "out"))
    assert (tmp_path / "out" / "src" / "eventyay_name_tags" / "apps.py").is_file()
    assert (tmp_path / "out" / "tests" / "test_name_tags.py").is_file()


@pytest.mark.parametrize("name", ["Badges", "1badges", "bad-name", "bad__name", "badges_"])
def test_startplugin_refuses_invalid_names(tmp_path, name):
    with pytest.raises(CommandError, match="is not a valid plugin name"):
        startplugin(name, "--dir", str(tmp_path / "out"))


def test_startplugin_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "README.rst").write_text("mine")
    with pytest.raises(CommandError, match="already exists and is not an empty directory"):
        startplugin("badges", "--dir", str(tmp_path))
    assert (tmp_path / "README.rst").read_text() == "mine"


def test_startplugin_refuses_the_name_of_an_installed_package(tmp_path):
    with pytest.raises(CommandError, match="'eventyay_dummy' is already installed"):
        startplugin("dummy", "--dir", str(tmp_path / "out"))


@pytest.mark.parametrize(
    ("options", "present", "absent"),
    [
        ((), [], ["models.py", "api/views.py", "migrations/0001_initial.py"]),
        (("--with-model",), ["models.py", "migrations/0001_initial.py", "services.py"], ["api/views.py"]),
        (("--with-api",), ["models.py", "api/views.py", "api/urls.py", "api/serializers.py"], []),
        (("--with-webhook",), ["models.py", "services.py"], ["api/views.py"]),
    ],
)
def test_options_choose_the_generated_modules(tmp_path, options, present, absent):
    target = tmp_path / "out"
    startplugin("door_prizes", "--dir", str(target), *options)
    package = target / "src" / "eventyay_door_prizes"
    for name in present:
        assert (package / name).is_file(), name
    for name in absent:
        assert not (package / name).exists(), name
    hooks = (package / "hooks.py").read_text()
    assert ("register_webhook_action_types" in hooks) == ("--with-webhook" in options)
    assert ("register_oauth_scopes" in hooks) == ("--with-api" in options)
    readme = (target / "README.rst").read_text()
    assert "Next steps" in readme and "#if" not in readme
    for path in target.rglob("*"):
        if path.is_file():
            assert "#if " not in path.read_text() and "#endif" not in path.read_text(), path
    for path in target.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


# One run per combination that matters; each is the generated plugin's own pytest session with
# the plugin installed for that process only (no pip), and it must leave no ./data behind.
@pytest.mark.parametrize(
    ("options", "tests"),
    [
        ((), 4),
        (("--with-model",), 9),
        (("--with-model", "--with-api", "--with-webhook"), 16),
    ],
    ids=["plain", "model", "model-api-webhook"],
)
def test_generated_plugin_passes_its_own_tests(tmp_path, options, tests):
    target = tmp_path / "eventyay-door-prizes"
    startplugin("door_prizes", "--dir", str(target), *options)
    run = run_plugin_tests(target, tmp_path / "site", "--no-migrations", "-p", "no:warnings")
    assert run.passed, run.output
    assert f"{tests} passed" in run.output, run.output
    assert not [path for path in run.created if path.split("/")[0] == "data"], run.created


@pytest.mark.slow
def test_generated_plugin_installs_with_pip_and_its_tests_pass(tmp_path):
    """The whole path a plugin author takes: startplugin, ``pip install -e``, pytest.

    The plugin goes into a throwaway virtual environment layered on top of this one (a ``.pth``
    file adds this environment's site-packages), so the development environment is untouched.
    """
    target = tmp_path / "eventyay-door-prizes"
    startplugin("door_prizes", "--dir", str(target))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    venv_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    parent_site = sysconfig.get_paths()["purelib"]
    Path(venv_site, "eventyay_parent.pth").write_text(f"import site; site.addsitedir({parent_site!r})\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EVENTYAY_", "DJANGO_"))}
    env["EVENTYAY_DATA_DIR"] = str(tmp_path / "data")
    install = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "-e",
            str(target),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    tests = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=target,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout
