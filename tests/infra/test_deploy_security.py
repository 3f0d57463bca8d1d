"""Production configuration: ``check --deploy`` and the security headers and cookies."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PRODUCTION_ENV = {
    "EVENTYAY_SITE_URL": "https://tickets.example.org",
    "EVENTYAY_DB_URL": "postgres://eventyay@127.0.0.1:5432/eventyay",
    "EVENTYAY_REDIS_URL": "redis://127.0.0.1:6379/0",
}


def eventyay_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a fresh process: only the given EVENTYAY_* variables are set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTYAY_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(EVENTYAY_DATA_DIR=str(tmp_path), EVENTYAY_SECRET_KEY=secrets.token_urlsafe(64), **overrides)
    return env


def settings_in_process(env: dict[str, str], *names: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}))"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "eventyay.config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_a_production_config(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "eventyay", "check", "--deploy"],
        env=eventyay_env(tmp_path, **PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS:" not in output
    assert "security." not in output, output


def test_production_config_secures_cookies_and_transport(tmp_path):
    values = settings_in_process(
        eventyay_env(tmp_path, **PRODUCTION_ENV),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "CSRF_TRUSTED_ORIGINS",
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://tickets.example.org"]


def test_debug_on_plain_http_does_not_demand_secure_cookies(tmp_path):
    values = settings_in_process(
        eventyay_env(tmp_path, EVENTYAY_DEBUG="1", EVENTYAY_SITE_URL="http://127.0.0.1:8000"),
        "SESSION_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
    )
    assert values == {"SESSION_COOKIE_SECURE": False, "SECURE_SSL_REDIRECT": False}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.django_db
def test_pages_send_the_security_headers(client, event):
    response = client.get(event.get_absolute_url())
    assert response.status_code == 200
    csp = directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("script-src", []) + csp.get("default-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.django_db
def test_session_cookie_is_http_only_and_same_site(client, user):
    response = client.post("/control/login/", {"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # The test configuration is plain http with debug off: Secure would lose the session there.
    assert not cookie["secure"]
