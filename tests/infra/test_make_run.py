"""What ``make run`` does, end to end: migrate, demo data, static files, the ASGI server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from eventyay.testing.servers import asgi_server, embedded_env, free_port


@dataclass
class Site:
    url: str
    data_dir: Path
    admin_email: str
    admin_password: str
    log: Path


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "eventyay", *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = embedded_env(data_dir, EVENTYAY_SITE_URL=f"http://127.0.0.1:{port}")
    manage(env, "migrate", "--noinput")
    demo_output = manage(env, "demo")
    login = re.search(r"Admin login: (\S+) / password: (\S+)", demo_output)
    assert login, demo_output
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")

    log = data_dir / "server.log"
    with asgi_server(env, port=port, log=log) as url:
        yield Site(url, data_dir, login.group(1), login.group(2), log)


@pytest.mark.parametrize("path", ["/demo/democon/", "/demo/", "/control/login/"])
def test_public_and_login_pages_answer(site, path):
    response = requests.get(site.url + path, timeout=60)
    assert response.status_code == 200, response.text[:2000]


def test_healthz_is_ok(site):
    response = requests.get(f"{site.url}/healthz", timeout=60)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_admin_logs_in_and_sees_the_dashboard(site):
    session = requests.Session()
    session.get(f"{site.url}/control/login/", timeout=60)
    response = session.post(
        f"{site.url}/control/login/",
        data={
            "email": site.admin_email,
            "password": site.admin_password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{site.url}/control/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:2000]
    dashboard = session.get(f"{site.url}/control/", timeout=60)
    assert dashboard.status_code == 200
    assert dashboard.url == f"{site.url}/control/"
    assert "democon" in dashboard.text


def test_static_files_and_compressed_bundles_are_served(site):
    vendor = requests.get(f"{site.url}/static/vendor/bootstrap/css/bootstrap.min.css", timeout=60)
    assert vendor.status_code == 200
    assert "text/css" in vendor.headers["Content-Type"]

    page = requests.get(f"{site.url}/demo/democon/", timeout=60).text
    bundles = re.findall(r'(?:href|src)="(/static/CACHE/[^"]+)"', page)
    assert {Path(bundle).suffix for bundle in bundles} == {".css", ".js"}, page[:2000]
    for bundle in bundles:
        assert (site.data_dir / "static" / bundle.removeprefix("/static/")).is_file()
        response = requests.get(site.url + bundle, timeout=60)
        assert response.status_code == 200, bundle
        assert "immutable" in response.headers.get("Cache-Control", "")


def test_websocket_to_an_unknown_path_is_refused_cleanly(site):
    ws_url = site.url.replace("http://", "ws://") + "/ws/no-such-route/"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, origin=site.url, open_timeout=60).close()
    assert refused.value.response.status_code == 403
    assert requests.get(f"{site.url}/healthz", timeout=60).status_code == 200
    log = site.log.read_text()
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log


REPO = Path(__file__).resolve().parents[2]


def make_dry_run(target: str, **env_overrides: str) -> list[str]:
    """The commands ``make <target>`` would run, with the virtualenv taken as installed."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTYAY_")}
    env.update(env_overrides)
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "-o", ".venv/.test-plugins", target],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_make_run_on_another_port_links_to_that_port():
    commands = [
        line for line in make_dry_run("run", PORT="8765") if " -m eventyay " in line or "uvicorn" in line
    ]
    assert len(commands) == 4, commands
    assert all(line.startswith("EVENTYAY_SITE_URL=http://127.0.0.1:8765 ") for line in commands), commands


def test_make_run_keeps_a_configured_site_url():
    commands = make_dry_run("run", PORT="8765", EVENTYAY_SITE_URL="https://events.example.org")
    served = [line for line in commands if "uvicorn" in line]
    assert served and served[0].startswith("EVENTYAY_SITE_URL=https://events.example.org "), commands


def test_test_plugins_are_installed_for_the_test_run_only():
    install = "\n".join(make_dry_run("install", VENV=".venv-never-built"))
    assert "pip install" in install
    assert "tests/dummy_plugin" not in install
    run = "\n".join(make_dry_run("run"))
    assert "pip uninstall --quiet --yes eventyay-dummy" in run
    test = "\n".join(make_dry_run("test", VENV=".venv-never-built"))
    assert "pip install --quiet --no-deps -e tests/dummy_plugin" in test


def test_schedule_links_carry_the_served_address(site):
    response = requests.get(f"{site.url}/demo/democon/schedule.json", timeout=60)
    assert response.status_code == 200, response.text[:2000]
    assert f'"{site.url}/demo/democon/' in response.text
    assert "127.0.0.1:8000" not in response.text
